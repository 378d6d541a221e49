"""Settings read from the environment, so one image runs anywhere (12-factor)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

EMBEDDED_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:{port}/peta_aduan"


def normalise_db_url(url: str) -> str:
    """Accept the plain libpq form too; SQLAlchemy needs the psycopg 3 driver named."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    """Everything configurable; defaults fit Kota Banjarmasin."""

    database_url: str = field(default_factory=lambda: normalise_db_url(os.environ.get(
        "DATABASE_URL", EMBEDDED_DATABASE_URL.format(port=os.environ.get("PETA_PG_PORT", "54329")))))
    secret_key: str = field(default_factory=lambda: os.environ.get("SECRET_KEY", ""))
    city_name: str = field(default_factory=lambda: os.environ.get("PETA_CITY_NAME", "Kota Banjarmasin"))
    city_prefix: str = field(default_factory=lambda: os.environ.get("PETA_CITY_PREFIX", "BJM"))
    timezone: str = field(default_factory=lambda: os.environ.get("PETA_TIMEZONE", "Asia/Makassar"))
    metric_srid: int = field(default_factory=lambda: _int("PETA_METRIC_SRID", 32750))
    snap_tolerance_m: float = field(default_factory=lambda: _float("PETA_SNAP_TOLERANCE_M", 250.0))
    near_border_m: float = field(default_factory=lambda: _float("PETA_NEAR_BORDER_M", 10.0))
    onsite_max_m: float = field(default_factory=lambda: _float("PETA_ONSITE_MAX_M", 100.0))
    tile_url: str = field(default_factory=lambda: os.environ.get("PETA_TILE_URL", ""))
    tile_attribution: str = field(default_factory=lambda: os.environ.get("PETA_TILE_ATTRIBUTION", ""))
    h3_resolution: int = field(default_factory=lambda: _int("PETA_H3_RESOLUTION", 8))
    max_upload_mb: int = field(default_factory=lambda: _int("PETA_MAX_UPLOAD_MB", 10))
    # Flood limits (0 turns one off): submissions per client address per 10 minutes, failed logins per e-mail
    # address per 15 minutes.
    submit_limit: int = field(default_factory=lambda: _int("PETA_SUBMIT_LIMIT", 60))
    login_limit: int = field(default_factory=lambda: _int("PETA_LOGIN_LIMIT", 10))
    proxy_count: int = field(default_factory=lambda: _int("PETA_PROXY_COUNT", 0))

    def as_flask_config(self) -> dict:
        """Flask wants upper-case keys; keep the typed object beside them."""
        return {
            "SETTINGS": self,
            "SECRET_KEY": self.secret_key or os.urandom(32).hex(),
            # 3 photos of 10 MB plus the form itself.
            "MAX_CONTENT_LENGTH": (3 * self.max_upload_mb + 1) * 1024 * 1024,
            "JSON_SORT_KEYS": False,
        }
