"""Complaint counts per H3 cell and day, kept by triggers, so the layers stop fetching a million points.

Every complaint gets its H3 cell (`h3_cell`, computed in Python: Debian has no H3 extension) at the layer
resolution (PETA_H3_RESOLUTION, handed over by env.py); `complaint_count` is filled once here and kept equal by
statement triggers (migrations/sql/complaint_count_v1.sql). `flask --app app recount-layers` redoes this after a settings change.

Revision ID: 0015
Revises: 0014
"""
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op
from h3.api import basic_int

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def _backfill_cells(res: int, batch: int = 200_000) -> None:
    """Every complaint's cell, computed in batches from its point (frozen here: migrations import no app code)."""
    conn = op.get_bind()
    total = conn.execute(sa.text("SELECT count(*) FROM complaint")).scalar_one()
    conn.execute(sa.text("CREATE TEMP TABLE backfill_cell (id bigint PRIMARY KEY, cell bigint)"))
    raw, last, done = conn.connection.driver_connection, 0, 0
    while rows := conn.execute(sa.text("SELECT id, ST_X(geom), ST_Y(geom) FROM complaint WHERE id > :last "
                                       "ORDER BY id LIMIT :n"), {"last": last, "n": batch}).all():
        with raw.cursor() as cur, cur.copy("COPY backfill_cell (id, cell) FROM STDIN") as copy:
            for cid, x, y in rows:
                copy.write_row((cid, basic_int.latlng_to_cell(y, x, res)))
        done, last = done + len(rows), rows[-1][0]
        print(f"    complaint cells: {done:,}/{total:,}", file=sys.stderr, flush=True)
    conn.execute(sa.text("UPDATE complaint c SET h3_cell = b.cell FROM backfill_cell b WHERE b.id = c.id"))
    conn.execute(sa.text("DROP TABLE backfill_cell"))


def upgrade() -> None:
    res, tz = int(context.config.attributes["h3_resolution"]), str(context.config.attributes["timezone"])
    op.add_column("complaint", sa.Column("h3_cell", sa.BigInteger(), nullable=True))
    op.create_table(
        "layer_grid",
        sa.Column("only_row", sa.Boolean(), server_default=sa.text("true"), primary_key=True),
        sa.Column("res", sa.SmallInteger(), nullable=False),
        sa.Column("tz", sa.Text(), nullable=False),
        sa.CheckConstraint("only_row", name="layer_grid_one_row"),
    )
    for table, date in (("complaint_count", "day"), ("complaint_count_month", "month")):  # by day, by month
        op.create_table(
            table,
            sa.Column("cell", sa.BigInteger(), nullable=False),
            sa.Column(date, sa.Date(), nullable=False),
            sa.Column("category_id", sa.Integer(), nullable=False),
            sa.Column("skpd_id", sa.Integer(), nullable=False),
            sa.Column("kelurahan_id", sa.Integer(), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("public", sa.Boolean(), nullable=False),
            sa.Column("n", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("cell", date, "category_id", "skpd_id", "kelurahan_id", "status", "public"),
        )
    op.create_table(  # append-only: which cells changed, newest id last; a tile's version (layers/mvt.py)
        "cell_change",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("cell", sa.BigInteger(), nullable=False),
    )
    op.create_index("cell_change_cell", "cell_change", ["cell", "id"])
    op.execute(sa.text("INSERT INTO layer_grid (res, tz) VALUES (:r, :tz)").bindparams(r=res, tz=tz))
    _backfill_cells(res)  # before the triggers: the recount below counts once
    op.alter_column("complaint", "h3_cell", nullable=False)
    op.execute((SQL / "complaint_count_v1.sql").read_text())
    op.execute("SELECT peta_recount_complaints()")


def downgrade() -> None:
    for kind in ("insert", "update", "delete", "truncate"):
        op.execute(f"DROP TRIGGER complaint_count_{kind} ON complaint")
    op.execute("DROP FUNCTION peta_count_complaints(); DROP FUNCTION peta_count_truncate(); "
               "DROP FUNCTION peta_recount_complaints()")
    op.drop_table("cell_change")
    op.drop_table("complaint_count_month")
    op.drop_table("complaint_count")
    op.drop_table("layer_grid")
    op.drop_column("complaint", "h3_cell")
