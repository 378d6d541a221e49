"""The one settings object, read from the environment (12-factor), so one install runs any city.

It lives in the domain package because the domain, the CLI, the worker and the web all need it and only the
web may load Flask; app/ turns it into Flask's configuration. Defaults fit Kota Banjarmasin (WITA, UTM 50S).
"""
from __future__ import annotations

import functools
import math
import os
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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


class SettingsError(ValueError):
    """A setting the service cannot run with, named with its variable: raised when the settings are read, before
    anything is served, migrated or written (a wrong time zone used to stop `db upgrade` halfway)."""


def _number(name: str, default: float | int, kind: type) -> float | int:
    raw = _env(name, str(default))
    try:
        return kind(raw.strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{name}={raw!r} is not {what} (e.g. {name}={default}).") from None


def _float(name: str, default: float) -> float:
    return _number(name, default, float)


def _int(name: str, default: int) -> int:
    return _number(name, default, int)


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

    def __post_init__(self) -> None:
        check_settings(self)

    @property
    def max_upload_bytes(self) -> int:
        """One photo's size limit."""
        return self.max_upload_mb * 1024 * 1024


PREFIX = re.compile(r"[A-Z]{2,8}")  # the code's first part: tracking codes are split at their dashes


def check_settings(s: Settings) -> None:
    """Refuse, naming the variable, what would otherwise fail later: every submission (a prefix with a dash, a
    time zone no one knows), lookups of every code (a lower-case prefix) or every distance (a CRS in degrees)."""
    if not PREFIX.fullmatch(s.city_prefix):
        raise SettingsError(f"PETA_CITY_PREFIX={s.city_prefix!r}: 2 to 8 capital letters A-Z, e.g. BJM.")
    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"PETA_TIMEZONE={s.timezone!r} is not a time zone name: Asia/Jakarta (WIB), "
                            "Asia/Makassar (WITA) or Asia/Jayapura (WIT).") from None
    _check_metric(s.metric_srid)
    if not 0 <= s.h3_resolution <= 15:
        raise SettingsError(f"PETA_H3_RESOLUTION={s.h3_resolution}: 0 to 15.")
    for name, value in (("PETA_SNAP_TOLERANCE_M", s.snap_tolerance_m), ("PETA_NEAR_BORDER_M", s.near_border_m),
                        ("PETA_ONSITE_MAX_M", s.onsite_max_m), ("PETA_REPLICA_MAX_LAG_S", s.replica_max_lag_s)):
        if not (math.isfinite(value) and value >= 0):
            raise SettingsError(f"{name}={value}: a number of at least 0.")
    for name, value in (("PETA_MAX_UPLOAD_MB", s.max_upload_mb), ("PETA_REOPEN_DAYS", s.reopen_days),
                        ("PETA_SESSION_IDLE_MIN", s.session_idle_minutes),
                        ("PETA_SESSION_MAX_HOURS", s.session_max_hours)):
        if value < 1:
            raise SettingsError(f"{name}={value}: at least 1.")


@functools.cache
def _check_metric(srid: int) -> None:
    """The metric CRS measures distances and depths in metres: a projected CRS whose axes are in metres."""
    from pyproj import CRS  # only here: reading settings should not load PROJ for every import of this module
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_epsg(srid)
    except CRSError:
        raise SettingsError(f"PETA_METRIC_SRID={srid} is not an EPSG code PROJ knows.") from None
    if not crs.is_projected or any(axis.unit_name not in ("metre", "meter") for axis in crs.axis_info):
        raise SettingsError(f"PETA_METRIC_SRID={srid} ({crs.name}) does not measure in metres: use the city's UTM "
                            "zone, e.g. 32750 (UTM 50S) for Banjarmasin, 32749 (UTM 49S) for central Java.")
