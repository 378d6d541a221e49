"""Photos: accepted by content (JPEG, PNG, WebP), never by name; re-encoded so no metadata survives.

Re-encoding drops EXIF (camera, time, and GPS — a citizen's home location), fixes orientation and bounds the size
served to phones. The GPS position, if the camera recorded one, is read first so the form can suggest the pin.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from aduan.errors import DomainError

ACCEPTED = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 50_000_000  # decompression bombs are refused before decoding
DISPLAY_MAX_SIDE = 1600
GPS_IFD = 0x8825


class PhotoError(DomainError):
    code = "bad_photo"


@dataclass(frozen=True)
class ProcessedPhoto:
    data: bytes
    content_type: str
    width: int
    height: int
    sha256: str
    gps: tuple[float, float] | None  # (lon, lat) read from EXIF before it was dropped


def process_photo(data: bytes, max_bytes: int = 10 * 1024 * 1024) -> ProcessedPhoto:
    """Check and re-encode one upload; raise PhotoError with a message a citizen understands."""
    if len(data) == 0:
        raise PhotoError("Berkas foto kosong.", "The photo file is empty.", field="photos")
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise PhotoError(f"Foto terlalu besar (maksimal {mb} MB).", f"Photo too large (at most {mb} MB).",
                         field="photos")
    img = _open(data)
    gps = exif_gps(img)
    img = ImageOps.exif_transpose(img)
    img.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE))
    if img.mode not in ("RGB", "L"):
        background = Image.new("RGB", img.size, "white")
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=82, optimize=True)  # no exif= argument: nothing is carried over
    body = out.getvalue()
    return ProcessedPhoto(body, "image/jpeg", img.width, img.height, hashlib.sha256(body).hexdigest(), gps)


def _open(data: bytes) -> Image.Image:
    bad = PhotoError("Berkas bukan foto JPEG, PNG atau WebP yang valid.",
                     "The file is not a valid JPEG, PNG or WebP photo.", field="photos")
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ACCEPTED:
            raise bad
        if img.width * img.height > MAX_PIXELS:
            raise PhotoError("Resolusi foto terlalu besar.", "The photo's resolution is too large.", field="photos")
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise bad from None
    return img


def exif_gps(img: Image.Image) -> tuple[float, float] | None:
    """(lon, lat) from EXIF GPS tags, or None when absent or implausible."""
    try:
        gps = img.getexif().get_ifd(GPS_IFD)
        lat = _dms(gps[2], gps.get(1, "N"), "S")
        lon = _dms(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lon, 6), round(lat, 6)


def _dms(values: tuple, ref: str, negative: str) -> float:
    d, m, s = (float(v) for v in values)
    value = d + m / 60 + s / 3600
    return -value if str(ref).upper().startswith(negative) else value
