"""Routing v2: border distances in the metric CRS instead of geodesic (same decisions, faster).

Revision ID: 0004
Revises: 0003
"""
from pathlib import Path

from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    srid = int(context.config.attributes["metric_srid"])  # set by env.py: the city's metric CRS
    op.execute((SQL / "route_v2.sql").read_text().replace("{metric_srid}", str(srid)))


def downgrade() -> None:
    op.execute((SQL / "route_v1.sql").read_text())
