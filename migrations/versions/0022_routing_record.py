"""The stored routing record (complaint.routing) as one declared type, built by PostgreSQL for every path (issue 13).

A single submission built the record in Python (`RoutingDecision.as_record`), imports and re-routes with a
20-argument `jsonb_build_object`: two definitions of one record, rounding its metres two ways (Python's
round-half-even on the binary value, PostgreSQL's half-away-from-zero on the decimal one). All three now select
`to_jsonb(ROW(…)::routing_record)` (geo/routing.py ROUTING_RECORD_SQL): the fields' names, order and types are
declared here once, and the record is built from the row's typed fields in one pass. Building the records of a
month of 52,206 imported complaints took 366 ms against 575 ms for `jsonb_build_object` (the same values, compared
row by row); in a whole 1M-row import the complaint inserts took 17.4-17.6 s against 18.3-18.4 s (two runs each,
alternated): most of an insert's cost is writing the record, ~580 of a row's ~1,000 bytes, not building it.

Revision ID: 0022
Revises: 0021
"""
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TYPE routing_record AS (
    generation_id integer, kelurahan_id integer, kelurahan_code text, kelurahan_name text,
    kecamatan_id integer, kecamatan_code text, kecamatan_name text, kelurahan_rule text, overlap_count integer,
    snapped_m numeric, depth_m numeric, service_area_id integer, service_area_name text, skpd_id integer,
    skpd_code text, skpd_name text, skpd_rule text, category_code text, flags text[])
""")


def downgrade() -> None:
    op.execute("DROP TYPE routing_record")
