"""Re-routing open complaints after boundaries or service areas change: preview, then apply with history.

Routing is a snapshot and is never silently recomputed; this is the explicit, audited way to recompute it.
Clocks are kept: the citizen's due dates do not restart because the city redrew a map.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from aduan import assignment, notifications
from aduan.settings import Settings
from aduan.statuses import OPEN_STATUSES
from geo.routing import ROUTING_RECORD_SQL


@dataclass(frozen=True)
class Move:
    tracking_code: str
    from_skpd: str
    to_skpd: str
    from_kelurahan: str
    to_kelurahan: str


# Only the fixed routing-record fragment is formatted in; values are bound. A ticket that goes to another SKPD gets a
# public 're-route' step (counted by the city's statement as forwarded); one whose SKPD stays (new boundaries of the
# same places: a new generation, a redrawn service area) a staff-only 'routing' step: nothing the citizen must
# read, and no forwarding in the figures.
_COMPUTE = text("""
CREATE TEMP TABLE reroute_candidates ON COMMIT DROP AS
SELECT t.id AS complaint_id, t.tracking_code, os.code AS old_skpd, ok.name AS old_kelurahan, r.*,
       {rec} AS record, sk.code AS new_skpd, k.name AS new_kelurahan, r.skpd_id <> t.skpd_id AS forwarded
  FROM complaint t
  JOIN skpd os ON os.id = t.skpd_id
  JOIN kelurahan ok ON ok.id = t.kelurahan_id
  JOIN category c ON c.id = t.category_id
 CROSS JOIN LATERAL peta_route(t.geom, t.category_id, :tol, :nb) r
  JOIN kelurahan k ON k.id = r.kelurahan_id
  JOIN skpd sk ON sk.id = r.skpd_id
  LEFT JOIN kecamatan kc ON kc.id = r.kecamatan_id
  LEFT JOIN service_area sa ON sa.id = r.service_area_id
 WHERE t.status = ANY(:open)
   AND (t.skpd_id <> r.skpd_id OR t.kelurahan_id <> r.kelurahan_id
        OR t.service_area_id IS DISTINCT FROM r.service_area_id)
""".format(rec=ROUTING_RECORD_SQL))  # noqa: UP032

_APPLY = text("""
WITH moved AS (
    UPDATE complaint c SET skpd_id = m.skpd_id, kelurahan_id = m.kelurahan_id, kecamatan_id = m.kecamatan_id,
           service_area_id = m.service_area_id, generation_id = m.generation_id, routing = m.record,
           routing_flags = m.flags, updated_at = now(), version = c.version + 1
      FROM reroute_candidates m
     WHERE c.id = m.complaint_id
    RETURNING c.id
)
INSERT INTO complaint_event (complaint_id, kind, actor_label, note, public, data)
SELECT m.complaint_id, CASE WHEN m.forwarded THEN 'reroute' ELSE 'routing' END, :actor,
       CASE WHEN m.forwarded
            THEN 'Dialihkan ulang otomatis / re-routed: ' || m.old_skpd || ' → ' || m.new_skpd
            ELSE 'Rute diperbarui otomatis, SKPD tetap ' || m.new_skpd || ' (kelurahan ' || m.old_kelurahan || ' → '
                 || m.new_kelurahan || ') / routing updated, same SKPD' END,
       m.forwarded,
       jsonb_build_object('from_skpd', m.old_skpd, 'to_skpd', m.new_skpd, 'from_kelurahan', m.old_kelurahan,
                          'to_kelurahan', m.new_kelurahan, 'routing', m.record)
  FROM reroute_candidates m JOIN moved ON moved.id = m.complaint_id
""")


def reroute_open(conn: Connection, *, tolerance_m: float, near_border_m: float, apply: bool,
                 actor: str = "sistem / system (reroute)", notify: Settings | None = None) -> list[Move]:
    """Recompute the routing of open complaints on the active boundaries; with apply=True store it, and with
    `notify` (the settings) tell the reporters whose ticket went to another SKPD."""
    conn.execute(_COMPUTE, {"tol": tolerance_m, "nb": near_border_m, "open": list(OPEN_STATUSES)})
    moves = [Move(*row) for row in conn.execute(text(
        "SELECT tracking_code, old_skpd, new_skpd, old_kelurahan, new_kelurahan FROM reroute_candidates "
        "ORDER BY old_skpd, new_skpd, tracking_code"))]
    if apply:
        conn.execute(_APPLY, {"actor": actor})
        assignment.release(conn, assignment.TICKET_MOVED, actor_label=actor)
        if notify is not None:
            moved = conn.execute(text("SELECT complaint_id FROM reroute_candidates WHERE forwarded"))
            for complaint_id in moved.scalars().all():
                notifications.enqueue(conn, complaint_id, "rerouted", notify)
    conn.execute(text("DROP TABLE reroute_candidates"))
    return moves
