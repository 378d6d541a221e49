"""Routing v3: a pin far outside the city is answered "outside" instead of failing in ST_Transform.

Revision ID: 0010
Revises: 0009
"""
from pathlib import Path

from alembic import context, op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SQL = Path(__file__).resolve().parents[1] / "sql"


def _apply(name: str) -> None:
    srid = int(context.config.attributes["metric_srid"])  # set by env.py: the city's metric CRS
    op.execute((SQL / name).read_text().replace("{metric_srid}", str(srid)))


def upgrade() -> None:
    _apply("route_v3.sql")


def downgrade() -> None:
    _apply("route_v2.sql")
