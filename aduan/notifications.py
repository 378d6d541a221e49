"""What reporters and followers are told, and when: one message per step they should know of, written to the
outbox in the transaction of that step (so a rolled-back step tells nobody) and sent later by the worker
(aduan/outbox.py), so a slow or broken mail server never holds up or undoes the staff action.

Who hears what:
- the reporter — if they left an e-mail address or phone number and did not opt out — of every step below, by
  e-mail and/or WhatsApp (SMS as the gateway's fallback), in the language they used, with the tracking link and
  their private link (reply, confirm, reopen, rate);
- confirmed followers (e-mail) of public tickets, of every step but `received`, with an unfollow link.
A message says the step, the SKPD, the public note if the officer made one, and the links. Never the reporter's
contact data: followers, and the reporters of tickets merged into another, read a note as the public does (masked;
none from a ticket that is not public); the reporter reads it as the officer wrote it. A confidential ticket keeps
no reporter and cannot be followed: of it, only a merged ticket's people hear, its code and status, as anyone may
look them up.
"""
from __future__ import annotations

from sqlalchemy import Connection, func, insert, select, update

from aduan import history
from aduan.models import Complaint, Follower, Outbox, Reporter, Skpd
from aduan.settings import Settings
from aduan.text import format_moment, mask_contacts

C, REPORTER, FOLLOWER, OUTBOX, SKPD = (Complaint.__table__, Reporter.__table__, Follower.__table__,
                                       Outbox.__table__, Skpd.__table__)
# kind: (subject id, subject en, text id, text en); texts take {code}, {skpd}, {due}, {days}, {original}.
STEPS = {
    "received": ("Aduan {code} diterima", "Complaint {code} received",
                 "Aduan Anda sudah diterima dan diteruskan ke {skpd}. Tindak lanjut paling lambat {due}.",
                 "Your complaint was received and passed to {skpd}. Follow-up is due by {due}."),
    "followed_up": ("Aduan {code} ditindaklanjuti", "Complaint {code} followed up",
                    "{skpd} sudah menindaklanjuti aduan Anda.", "{skpd} has followed up your complaint."),
    "rerouted": ("Aduan {code} dialihkan", "Complaint {code} re-routed",
                 "Aduan Anda dialihkan ke {skpd}, yang berwenang menanganinya.",
                 "Your complaint was passed to {skpd}, which is responsible for it."),
    "resolved": ("Aduan {code} selesai ditangani", "Complaint {code} resolved",
                 "{skpd} melaporkan aduan Anda selesai ditangani. Belum beres? Buka kembali dalam {days} hari kerja "
                 "lewat tautan pribadi Anda; tanpa tanggapan aduan ditutup.",
                 "{skpd} reports your complaint resolved. Not fixed? Reopen it within {days} working days through "
                 "your private link; without an answer the complaint is closed."),
    "rejected": ("Aduan {code} ditolak", "Complaint {code} rejected",
                 "{skpd} tidak dapat memproses aduan Anda.", "{skpd} could not take up your complaint."),
    "reopened": ("Aduan {code} dibuka kembali", "Complaint {code} reopened",
                 "Aduan Anda dibuka kembali; {skpd} menanganinya lagi.",
                 "Your complaint was reopened; {skpd} is working on it again."),
    "original_resolved": ("Aduan {code}: masalahnya selesai ditangani", "Complaint {code}: the problem is resolved",
                          "Aduan {original}, tempat aduan Anda digabungkan, dilaporkan selesai ditangani.",
                          "Complaint {original}, into which yours was merged, is reported resolved."),
    "merged": ("Aduan {code} digabungkan", "Complaint {code} merged",
               "Aduan Anda digabungkan dengan aduan {original} tentang masalah yang sama; Anda tercatat sebagai "
               "pendukungnya.", "Your complaint was merged into complaint {original} about the same problem; "
               "you are counted as its supporter."),
    "follow_confirm": ("Konfirmasi: ikuti aduan {code}", "Confirm: follow complaint {code}",
                       "Buka tautan ini untuk mulai mengikuti aduan {code}: {confirm_url}",
                       "Open this link to start following complaint {code}: {confirm_url}"),
}
# What a follower reads instead (text id, text en): the ticket is someone else's, and the reporter's private link
# (to reopen a resolved ticket) is not theirs.
FOLLOWER_TEXTS = {
    "followed_up": ("{skpd} sudah menindaklanjuti aduan {code} yang Anda ikuti.",
                    "{skpd} has followed up complaint {code}, which you follow."),
    "rerouted": ("Aduan {code} yang Anda ikuti dialihkan ke {skpd}, yang berwenang menanganinya.",
                 "Complaint {code}, which you follow, was passed to {skpd}, which is responsible for it."),
    "resolved": ("{skpd} melaporkan aduan {code} yang Anda ikuti selesai ditangani.",
                 "{skpd} reports complaint {code}, which you follow, resolved."),
    "rejected": ("{skpd} tidak dapat memproses aduan {code} yang Anda ikuti.",
                 "{skpd} could not take up complaint {code}, which you follow."),
    "reopened": ("Aduan {code} yang Anda ikuti dibuka kembali; {skpd} menanganinya lagi.",
                 "Complaint {code}, which you follow, was reopened; {skpd} is working on it again."),
    "original_resolved": ("Aduan {original}, tempat aduan {code} yang Anda ikuti digabungkan, dilaporkan selesai "
                          "ditangani.",
                          "Complaint {original}, into which complaint {code} (which you follow) was merged, is "
                          "reported resolved."),
    "merged": ("Aduan {code} yang Anda ikuti digabungkan dengan aduan {original} tentang masalah yang sama.",
               "Complaint {code}, which you follow, was merged into complaint {original} about the same problem."),
}
FOLLOWER_KINDS = frozenset(FOLLOWER_TEXTS)


def _line(text_id: str, text_en: str, lang: str, **values: object) -> str:
    return (text_en if lang == "en" else text_id).format(**values)


def _ticket(conn: Connection, complaint_id: int) -> dict:
    stmt = (select(C.c.id, C.c.tracking_code, C.c.public, C.c.followup_due_at, C.c.reporter_id,
                   SKPD.c.name.label("skpd"), SKPD.c.name_en.label("skpd_en"))
            .select_from(C.join(SKPD, SKPD.c.id == C.c.skpd_id)).where(C.c.id == complaint_id))
    return dict(conn.execute(stmt).mappings().one())


def _compose(kind: str, t: dict, lang: str, note: str | None, settings: Settings, footer: list[str],
             text: tuple[str, str] | None = None, **values: object) -> tuple[str, str]:
    subject_id, subject_en, text_id, text_en = STEPS[kind]
    text_id, text_en = text or (text_id, text_en)
    skpd = (t["skpd_en"] or t["skpd"]) if lang == "en" else t["skpd"]
    fields = {"code": t["tracking_code"], "skpd": skpd, "days": settings.reopen_days,
              "due": format_moment(t["followup_due_at"], settings.timezone, lang, with_time=False), **values}
    lines = [_line(text_id, text_en, lang, **fields)]
    if note:
        lines.append(_line("Catatan petugas: {note}", "Officer's note: {note}", lang, note=note))
    track = page_url(settings, f"/lacak/{t['tracking_code']}", lang)
    lines.append(_line("Lacak: {url}", "Track: {url}", lang, url=track))
    lines += footer
    city = f"Peta Aduan {settings.city_name}"
    return f"[{city}] {_line(subject_id, subject_en, lang, **fields)}", "\n".join(lines) + f"\n\n— {city}\n"


def page_url(settings: Settings, path: str, lang: str) -> str:
    """A link in a message: the page opens in the recipient's language (`?lang=en` is remembered by the site)."""
    return f"{settings.public_url}{path}" + ("?lang=en" if lang == "en" else "")


def _reporter_rows(conn: Connection, t: dict, kind: str, note: str | None, settings: Settings,
                   values: dict) -> list[dict]:
    if t["reporter_id"] is None:
        return []
    r = conn.execute(select(REPORTER).where(REPORTER.c.id == t["reporter_id"])).mappings().one()
    if not r["notify"]:
        return []
    footer = [_line("Tautan pribadi Anda (balas, konfirmasi, buka kembali, beri nilai; jangan dibagikan): {url}",
                    "Your private link (reply, confirm, reopen, rate; do not share it): {url}", r["lang"],
                    url=page_url(settings, f"/balas/{r['token']}", r["lang"]))] if r["token"] else []
    subject, body = _compose(kind, t, r["lang"], note, settings, footer, **values)
    base = {"recipient": "reporter", "lang": r["lang"], "subject": subject, "body": body}
    return ([{**base, "channel": "email", "address": r["email"]}] if r["email"] else []) + \
        ([{**base, "channel": "whatsapp", "address": r["phone"]}] if r["phone"] else [])


def _follower_rows(conn: Connection, t: dict, kind: str, note: str | None, settings: Settings,
                   values: dict) -> list[dict]:
    if not t["public"] or kind not in FOLLOWER_KINDS:
        return []
    rows = conn.execute(select(FOLLOWER).where(FOLLOWER.c.complaint_id == t["id"],
                                               FOLLOWER.c.confirmed_at.is_not(None))).mappings()
    out = []
    for f in rows:
        footer = [_line("Berhenti mengikuti: {url}", "Unfollow: {url}", f["lang"],
                        url=page_url(settings, f"/berhenti/{f['token']}", f["lang"]))]
        # a follower is the public: the note reaches them as the public pages show it; the reporter, whose ticket
        # it is, gets it as the officer wrote it (a contact the officer passes on is meant for them)
        subject, body = _compose(kind, t, f["lang"], mask_contacts(note), settings, footer, FOLLOWER_TEXTS[kind],
                                 **values)
        out.append({"recipient": "follower", "follower_id": f["id"], "lang": f["lang"], "channel": "email",
                    "address": f["email"], "subject": subject, "body": body})
    return out


def enqueue(conn: Connection, complaint_id: int, kind: str, settings: Settings, *, event_id: int | None = None,
            note: str | None = None, to_reporter: bool = True, **values: object) -> int:
    """Write the messages for one step of a ticket (in the caller's transaction); returns how many. A step the
    reporter took themselves (`to_reporter=False`) goes to the followers only."""
    t = _ticket(conn, complaint_id)
    rows = (_reporter_rows(conn, t, kind, note, settings, values) if to_reporter else []) + \
        _follower_rows(conn, t, kind, note, settings, values)
    if rows:
        conn.execute(insert(OUTBOX), [{"complaint_id": complaint_id, "event_id": event_id, "kind": kind,
                                       "follower_id": None, **r} for r in rows])
        conn.execute(select(func.pg_notify("outbox", str(complaint_id))))  # wakes a listening worker on commit
    return len(rows)


def withdraw_reporter_messages(conn: Connection, complaint_id: int) -> int:
    """The reporter's messages of this ticket not sent yet are withdrawn (they stopped messages); how many. One
    the worker is sending at this moment goes out, or is withdrawn if that attempt fails (aduan/outbox.py)."""
    return conn.execute(update(OUTBOX).where(OUTBOX.c.complaint_id == complaint_id, OUTBOX.c.recipient == "reporter",
                                             OUTBOX.c.status.in_(("pending", "retry")))
                        .values(status="withdrawn")).rowcount


def enqueue_for_merged(conn: Connection, original_id: int, original_code: str, settings: Settings,
                       note: str | None = None) -> int:
    """The original was resolved: the reporters and followers of the tickets merged into it hear it too (theirs
    was closed as its duplicate). The note is someone else's ticket's: they read it as the public does, and not at
    all when that ticket is not public (confidential, or hidden by moderation)."""
    public = conn.execute(select(C.c.public).where(C.c.id == original_id)).scalar_one()
    shown = mask_contacts(note) if public else None
    return sum(enqueue(conn, m["id"], "original_resolved", settings, note=shown, original=original_code)
               for m in history.merged_into(conn, original_id))


def enqueue_follow_confirmation(conn: Connection, follower_id: int, settings: Settings) -> None:
    """The double opt-in message to someone who asked to follow a ticket."""
    f = conn.execute(select(FOLLOWER).where(FOLLOWER.c.id == follower_id)).mappings().one()
    t = _ticket(conn, f["complaint_id"])
    subject, body = _compose("follow_confirm", t, f["lang"], None, settings, [],
                             confirm_url=page_url(settings, f"/ikuti/{f['token']}", f["lang"]))
    conn.execute(insert(OUTBOX).values(complaint_id=t["id"], kind="follow_confirm", recipient="follower",
                                       follower_id=f["id"], channel="email", address=f["email"], lang=f["lang"],
                                       subject=subject, body=body))


def sent_status(conn: Connection, complaint_id: int) -> list[dict]:
    """Messages of a ticket for its staff page: what, to whom (kind of recipient), by which channel, and whether
    it went out (addresses are left to the contact-data view)."""
    stmt = (select(OUTBOX.c.id, OUTBOX.c.kind, OUTBOX.c.recipient, OUTBOX.c.channel, OUTBOX.c.status,
                   OUTBOX.c.attempts, OUTBOX.c.created_at, OUTBOX.c.sent_at, OUTBOX.c.last_error)
            .where(OUTBOX.c.complaint_id == complaint_id).order_by(OUTBOX.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]
