"""Routing v2: border distances in the metric CRS instead of geodesic (same decisions, faster).

Revision ID: 0004
Revises: 0003
"""
from pathlib import Path

from alembic import op

from aduan.models import METRIC_SRID

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def upgrade() -> None:
    op.execute((SQL / "route_v2.sql").read_text().replace("{metric_srid}", str(int(METRIC_SRID))))


def downgrade() -> None:
    op.execute((SQL / "route_v1.sql").read_text())
