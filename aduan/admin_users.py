"""Staff accounts from the admin pages: list, create, disable/enable, reset the password, change role or SKPD.

Built on aduan/accounts.py (its checks for e-mail, role, SKPD and password length). Disabling an account or
resetting its password ends every session of that user at once (accounts.close_sessions); the session check
would refuse them at the next request anyway (inactive account, changed password fingerprint), deleting the rows
makes it certain. A generated password is returned to the caller to show once; it is never stored or audited.
"""
from __future__ import annotations

import secrets

from sqlalchemy import Connection, text

from aduan import accounts, assignment, passwords
from aduan.admin import Actor, audit, changes
from aduan.errors import DomainError, NotFound
from aduan.permissions import ROLES, SKPD_ROLES

_LIST = text("""
SELECT u.id, u.email, u.name, u.role, s.code AS skpd_code, u.active, u.created_at,
       (SELECT max(z.created_at) FROM staff_session z WHERE z.user_id = u.id) AS last_login
  FROM app_user u LEFT JOIN skpd s ON s.id = u.skpd_id
 ORDER BY u.active DESC, u.role, lower(u.email)
""")
_ONE = text("SELECT u.id, u.email, u.name, u.role, s.code AS skpd_code, u.active "
            "FROM app_user u LEFT JOIN skpd s ON s.id = u.skpd_id WHERE u.id = :id")


def list_users(conn: Connection) -> list[dict]:
    """Every account; `last_login` is the newest open session (sessions end at logout, so it may be unknown)."""
    return [dict(r) for r in conn.execute(_LIST).mappings()]


def get_user(conn: Connection, user_id: int) -> dict:
    row = conn.execute(_ONE, {"id": user_id}).mappings().first()
    if row is None:
        raise NotFound("Pengguna tidak ditemukan.", "No such user.")
    return dict(row)


def generated_password() -> str:
    """A random password the admin passes on once (about 96 bits)."""
    return secrets.token_urlsafe(12)


def create(conn: Connection, actor: Actor, email: str, role: str, skpd_code: str | None, name: str | None,
           password: str | None) -> tuple[int, str | None]:
    """Create the account; returns its id and the generated password when none was given (to show once)."""
    generated = None if password else generated_password()
    uid = accounts.create_user(conn, email, password or generated, role, skpd_code if role in SKPD_ROLES else None,
                               name)
    audit(conn, actor, "user.create", f"user:{uid}", {"email": accounts.normalise_email(email), "role": role,
                                                       "skpd": skpd_code if role in SKPD_ROLES else None,
                                                       "name": name, "password": "generated" if generated else "set"})
    return uid, generated


def _not_self(actor: Actor, user_id: int, what_id: str, what_en: str) -> None:
    """An admin cannot lock themselves out (disable or demote their own account)."""
    if actor.user.id == user_id:
        raise DomainError(f"Anda tidak dapat {what_id} akun Anda sendiri.", f"You cannot {what_en} your own account.")


def set_active(conn: Connection, actor: Actor, user_id: int, active: bool) -> None:
    """Disable (ending every session) or enable an account."""
    before = get_user(conn, user_id)
    if not active:
        _not_self(actor, user_id, "menonaktifkan", "disable")
    conn.execute(text("UPDATE app_user SET active = :a WHERE id = :id"), {"a": active, "id": user_id})
    ended = accounts.close_sessions(conn, user_id) if not active else 0
    released = 0 if active else assignment.release(conn, assignment.OFFICER_DISABLED, officer_id=user_id,
                                                   actor=actor.user, actor_label=actor.user.label)
    audit(conn, actor, "user.enable" if active else "user.disable", f"user:{user_id}",
          {"email": before["email"], "active": {"before": before["active"], "after": active},
           "sessions_ended": ended, "tickets_unassigned": released})


def reset_password(conn: Connection, actor: Actor, user_id: int, password: str | None) -> str | None:
    """A new password (given, or generated and returned to show once); every session of the user ends."""
    user = get_user(conn, user_id)
    generated = None if password else generated_password()
    problem = passwords.password_problem(password or generated)
    if problem:
        raise DomainError(*problem, field="password")
    conn.execute(text("UPDATE app_user SET password_hash = :h WHERE id = :id"),
                 {"h": passwords.hash_password(password or generated), "id": user_id})
    ended = accounts.close_sessions(conn, user_id)
    audit(conn, actor, "user.reset_password", f"user:{user_id}",
          {"email": user["email"], "password": "generated" if generated else "set", "sessions_ended": ended})
    return generated


def change_role(conn: Connection, actor: Actor, user_id: int, role: str, skpd_code: str | None) -> None:
    """Another role or SKPD; officers and SKPD admins need an SKPD, the others have none."""
    before = get_user(conn, user_id)
    if role not in ROLES:
        raise DomainError(f"Peran tidak dikenal; pilih salah satu: {', '.join(ROLES)}.",
                          f"Unknown role; choose one of: {', '.join(ROLES)}.", field="role")
    if role != before["role"]:
        _not_self(actor, user_id, "mengubah peran", "change the role of")
    skpd_code = (skpd_code or "").strip() or None
    if role in SKPD_ROLES and not skpd_code:
        raise DomainError(f"Peran {role} harus terikat pada SKPD.", f"Role {role} must be bound to an SKPD.",
                          field="skpd")
    skpd_code = skpd_code if role in SKPD_ROLES else None
    skpd_id = accounts.skpd_id(conn, skpd_code) if skpd_code else None
    conn.execute(text("UPDATE app_user SET role = :r, skpd_id = :s WHERE id = :id"),
                 {"r": role, "s": skpd_id, "id": user_id})
    released = assignment.release(conn, assignment.OFFICER_MOVED, officer_id=user_id, actor=actor.user,
                                  actor_label=actor.user.label)
    detail = changes({"role": before["role"], "skpd": before["skpd_code"]}, {"role": role, "skpd": skpd_code})
    audit(conn, actor, "user.change_role", f"user:{user_id}",
          {"email": before["email"], **detail, **({"tickets_unassigned": released} if released else {})})
