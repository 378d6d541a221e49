"""Photos: accepted by content (JPEG, PNG, WebP), never by name; re-encoded so no metadata survives.

Re-encoding drops EXIF (camera, time, and GPS — a citizen's home location), fixes orientation and bounds the size
served to phones. The GPS position, if the camera recorded one, is read first so the form can suggest the pin.

Decoding is the expensive part (a 190 KiB PNG can hold 50 million blank pixels), so every request has a budget:
- the size of each image is read from its header before anything is decoded;
- a JPEG is decoded already scaled down (libjpeg's DCT scaling via `draft`), so a phone's 50 MP photo costs what
  a 3 MP one does; PNG and WebP cannot be, so each may have at most MAX_FULL_DECODE pixels;
- all photos of one request together may cost at most REQUEST_BUDGET decoded pixels;
- reading a photo's GPS position (the pin suggestion) decodes no pixels at all.
"""
from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from aduan.errors import DomainError

ACCEPTED = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 120_000_000  # any format, as the header says: more is refused unread (decompression bombs)
MAX_FULL_DECODE = 16_000_000  # PNG/WebP, decoded at full size: ~16 MP (64 MB as RGBA) at most
REQUEST_BUDGET = 30_000_000  # decoded pixels for all photos of one request together
DISPLAY_MAX_SIDE = 1600
GPS_IFD = 0x8825
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own guard, at the same bound


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


def _bad() -> PhotoError:
    return PhotoError("Berkas bukan foto JPEG, PNG atau WebP yang valid.",
                      "The file is not a valid JPEG, PNG or WebP photo.", field="photos")


def _too_big() -> PhotoError:
    return PhotoError("Resolusi foto terlalu besar.", "The photo's resolution is too large.", field="photos")


def _check_bytes(data: bytes, max_bytes: int) -> None:
    if len(data) == 0:
        raise PhotoError("Berkas foto kosong.", "The photo file is empty.", field="photos")
    if len(data) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise PhotoError(f"Foto terlalu besar (maksimal {mb} MB).", f"Photo too large (at most {mb} MB).",
                         field="photos")


def _header(data: bytes) -> Image.Image:
    """The image opened lazily (header and metadata only; no pixels decoded)."""
    try:
        img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:  # Pillow's own guard, past twice MAX_PIXELS: a photo, far too big
        raise _too_big() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _bad() from None
    if img.format not in ACCEPTED:
        raise _bad()
    if img.width * img.height > MAX_PIXELS:
        raise _too_big()
    return img


def _display_size(width: int, height: int) -> tuple[int, int]:
    """The size the photo is served at: its long side at most DISPLAY_MAX_SIDE."""
    ratio = min(1.0, DISPLAY_MAX_SIDE / max(width, height, 1))
    return max(1, int(width * ratio)), max(1, int(height * ratio))


def _jpeg_scale(width: int, height: int) -> int:
    """The DCT scale Pillow's draft picks for the display size (as Image.draft computes it)."""
    tw, th = _display_size(width, height)
    fits = min(width // tw, height // th)
    return next(s for s in (8, 4, 2, 1) if s <= max(fits, 1))


def decode_cost(img: Image.Image) -> int:
    """Pixels decoding will touch: a JPEG scaled down by draft, anything else at full size."""
    if img.format == "JPEG":
        scale = _jpeg_scale(img.width, img.height)
        return (img.width // scale) * (img.height // scale)
    if img.width * img.height > MAX_FULL_DECODE:
        raise _too_big()
    return img.width * img.height


def process_photos(photos: Sequence[bytes], max_bytes: int) -> list[ProcessedPhoto]:
    """Check every photo's header against the request's budget, then decode them one by one."""
    for data in photos:
        _check_bytes(data, max_bytes)
    headers = [_header(data) for data in photos]
    if sum(decode_cost(img) for img in headers) > REQUEST_BUDGET:
        raise PhotoError("Foto-foto ini terlalu besar untuk diproses sekaligus; kirim lebih sedikit atau lebih kecil.",
                         "These photos are too large to process together; send fewer or smaller ones.",
                         field="photos")
    return [_process(img, data) for img, data in zip(headers, photos, strict=True)]


def process_photo(data: bytes, max_bytes: int = 10 * 1024 * 1024) -> ProcessedPhoto:
    """Check and re-encode one upload; raise PhotoError with a message a citizen understands."""
    return process_photos([data], max_bytes)[0]


def _process(img: Image.Image, data: bytes) -> ProcessedPhoto:
    gps = exif_gps(img)
    try:
        if img.format == "JPEG":
            img.draft("RGB", _display_size(img.width, img.height))  # decode at 1/2, 1/4 or 1/8 scale
        img.load()
        img = ImageOps.exif_transpose(img)
        img.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE))
        if img.mode not in ("RGB", "L"):
            background = Image.new("RGB", img.size, "white")
            rgba = img.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            img = background
        out = io.BytesIO()
        img.save(out, format="JPEG", quality=82, optimize=True)  # no exif= argument: nothing is carried over
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise _bad() from None
    body = out.getvalue()
    return ProcessedPhoto(body, "image/jpeg", img.width, img.height, hashlib.sha256(body).hexdigest(), gps)


def read_gps(data: bytes, max_bytes: int) -> tuple[float, float] | None:
    """A photo's GPS position from its EXIF, decoding no pixels (the pin suggestion; the photo is not kept)."""
    _check_bytes(data, max_bytes)
    return exif_gps(_header(data))


def exif_gps(img: Image.Image) -> tuple[float, float] | None:
    """(lon, lat) from EXIF GPS tags, or None when absent or implausible."""
    try:
        gps = img.getexif().get_ifd(GPS_IFD)
        lat = _dms(gps[2], gps.get(1, "N"), "S")
        lon = _dms(gps[4], gps.get(3, "E"), "W")
    except (KeyError, TypeError, ValueError, ZeroDivisionError, AttributeError, OSError, SyntaxError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return round(lon, 6), round(lat, 6)


def _dms(values: tuple, ref: str, negative: str) -> float:
    d, m, s = (float(v) for v in values)
    value = d + m / 60 + s / 3600
    return -value if str(ref).upper().startswith(negative) else value
