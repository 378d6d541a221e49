"""The one settings object, read from the environment (12-factor), so one install runs any city.

It lives in the domain package because the domain, the CLI, the worker and the web all need it and only the
web may load Flask; app/ turns it into Flask's configuration. Defaults fit Kota Banjarmasin (WITA, UTM 50S).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from aduan.text import parse_bool

EMBEDDED_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:{port}/peta_aduan"
DEFAULT_TIMEZONE = "Asia/Makassar"  # WITA; WIB is Asia/Jakarta, WIT Asia/Jayapura
DEFAULT_METRIC_SRID = 32750  # UTM zone 50S


def normalise_db_url(url: str) -> str:
    """Accept the plain libpq form too; SQLAlchemy needs the psycopg 3 driver named."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def _float(name: str, default: float) -> float:
    return float(_env(name, str(default)))


def _int(name: str, default: int) -> int:
    return int(_env(name, str(default)))


def _bool(name: str, default: bool) -> bool:
    return parse_bool(os.environ.get(name), default)


def metric_srid_from_env() -> int:
    """The city's metric CRS; the schema's metric column is fixed to it when first migrated."""
    return _int("PETA_METRIC_SRID", DEFAULT_METRIC_SRID)


def _database_url() -> str:
    return normalise_db_url(_env("DATABASE_URL", EMBEDDED_DATABASE_URL.format(port=_env("PETA_PG_PORT", "54329"))))


def _replica_urls() -> tuple[str, ...]:
    return tuple(normalise_db_url(u.strip()) for u in _env("DATABASE_REPLICA_URL", "").split(",") if u.strip())


@dataclass(frozen=True)
class Settings:
    """Everything configurable (README, "Configuration"); each field says which variable sets it."""

    database_url: str = field(default_factory=_database_url)  # DATABASE_URL
    # Streaming replicas for public reads (docs/replicas.md), comma-separated; one lagging more than
    # PETA_REPLICA_MAX_LAG_S seconds, or down, is skipped.
    database_replica_urls: tuple[str, ...] = field(default_factory=_replica_urls)  # DATABASE_REPLICA_URL
    replica_max_lag_s: float = field(default_factory=lambda: _float("PETA_REPLICA_MAX_LAG_S", 5.0))
    secret_key: str = field(default_factory=lambda: _env("SECRET_KEY", ""))  # SECRET_KEY
    city_name: str = field(default_factory=lambda: _env("PETA_CITY_NAME", "Kota Banjarmasin"))
    city_prefix: str = field(default_factory=lambda: _env("PETA_CITY_PREFIX", "BJM"))
    timezone: str = field(default_factory=lambda: _env("PETA_TIMEZONE", DEFAULT_TIMEZONE))
    metric_srid: int = field(default_factory=metric_srid_from_env)
    snap_tolerance_m: float = field(default_factory=lambda: _float("PETA_SNAP_TOLERANCE_M", 250.0))
    near_border_m: float = field(default_factory=lambda: _float("PETA_NEAR_BORDER_M", 10.0))
    onsite_max_m: float = field(default_factory=lambda: _float("PETA_ONSITE_MAX_M", 100.0))
    tile_url: str = field(default_factory=lambda: _env("PETA_TILE_URL", ""))
    tile_attribution: str = field(default_factory=lambda: _env("PETA_TILE_ATTRIBUTION", ""))
    h3_resolution: int = field(default_factory=lambda: _int("PETA_H3_RESOLUTION", 8))
    max_upload_mb: int = field(default_factory=lambda: _int("PETA_MAX_UPLOAD_MB", 10))
    # Flood limits (0 turns one off): submissions per client address per 10 minutes, failed logins per e-mail
    # address per 15 minutes.
    submit_limit: int = field(default_factory=lambda: _int("PETA_SUBMIT_LIMIT", 60))
    login_limit: int = field(default_factory=lambda: _int("PETA_LOGIN_LIMIT", 10))
    proxy_count: int = field(default_factory=lambda: _int("PETA_PROXY_COUNT", 0))
    # Staff sessions end after this idle time or age; Secure cookies behind HTTPS.
    session_idle_minutes: int = field(default_factory=lambda: _int("PETA_SESSION_IDLE_MIN", 240))
    session_max_hours: int = field(default_factory=lambda: _int("PETA_SESSION_MAX_HOURS", 12))
    secure_cookies: bool = field(default_factory=lambda: _bool("PETA_SECURE_COOKIES", False))
    # Messages to reporters and followers: links point at the public address; e-mail over SMTP
    # (smtp://user:pass@host:587 uses STARTTLS, smtps:// TLS from the start); WhatsApp/SMS through an HTTP gateway
    # whose requests are signed with HMAC-SHA256 (docs/notifications.md). Unset: messages wait in the outbox.
    public_url: str = field(default_factory=lambda: _env("PETA_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/"))
    smtp_url: str = field(default_factory=lambda: _env("PETA_SMTP_URL", ""))
    mail_from: str = field(default_factory=lambda: _env("PETA_MAIL_FROM", "Peta Aduan <noreply@localhost>"))
    gateway_url: str = field(default_factory=lambda: _env("PETA_GATEWAY_URL", ""))
    gateway_secret: str = field(default_factory=lambda: _env("PETA_GATEWAY_SECRET", ""))
    # A resolved ticket may be confirmed or reopened by its reporter for this many working days; silence closes it.
    reopen_days: int = field(default_factory=lambda: _int("PETA_REOPEN_DAYS", 10))
    # Origins whose web maps may read the public endpoints (tiles, OGC, Open311, public API): "*" or a comma list.
    cors_origins: str = field(default_factory=lambda: _env("PETA_CORS_ORIGINS", "*"))
    # Addresses media_url photos may be fetched from, besides the public internet (CIDRs; for tests and intranets).
    media_allow: str = field(default_factory=lambda: _env("PETA_MEDIA_ALLOW", ""))

    @property
    def max_upload_bytes(self) -> int:
        """One photo's size limit."""
        return self.max_upload_mb * 1024 * 1024
