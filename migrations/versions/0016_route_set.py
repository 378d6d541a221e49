"""Set-based routing for imports: `peta_route_many()` routes many pins in one spatial join (issue 13), with the
rules of `peta_route()` (route_v3.sql), which single submissions keep using.

Revision ID: 0016
Revises: 0015
"""
from pathlib import Path

from alembic import context, op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    srid = int(context.config.attributes["metric_srid"])  # set by env.py: the city's metric CRS
    op.execute((SQL / "route_set_v1.sql").read_text().replace("{metric_srid}", str(srid)))


def downgrade() -> None:
    op.execute("DROP FUNCTION peta_route_many(bigint[], geometry[], integer[], double precision, double precision)")
