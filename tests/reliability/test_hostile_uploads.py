"""Hostile uploads cost little: decompression bombs and huge blank images are refused from their headers, big
phone photos are decoded scaled down, and reading a photo's GPS decodes nothing. Peak memory is measured in a
fresh process doing only the uploads, so the test suite's own memory does not blur the figure."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from aduan.errors import DomainError
from aduan.photos import MAX_FULL_DECODE, process_photo, process_photos

ROOT = Path(__file__).resolve().parents[2]


def _png(side: int) -> bytes:
    buf = io.BytesIO()
    Image.new("1", (side, side), 0).save(buf, "PNG", optimize=True)  # zero-filled: compresses to a few hundred KiB
    return buf.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (90, 120, 40)).save(buf, "JPEG", quality=70)
    return buf.getvalue()


def test_a_huge_blank_png_is_refused_from_its_header():
    """7070 × 7070 pixels in ~190 KiB: refused before decoding, with a bilingual message."""
    bomb = _png(7070)
    assert len(bomb) < 2 * 1024 * 1024
    with pytest.raises(DomainError) as err:
        process_photo(bomb)
    assert "Resolusi" in err.value.message_id and err.value.field == "photos"


def test_a_header_claiming_400_megapixels_is_told_its_resolution_is_too_large():
    """Past twice the limit Pillow itself refuses to open it; the answer still names the resolution, not "not a
    photo" (a PNG signature and header for 20000 × 20000 pixels, no pixel data)."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    with pytest.raises(DomainError) as err:
        process_photo(b"\x89PNG\r\n\x1a\n" + chunk + b"\x00\x00\x00\x00IEND\xaeB`\x82")
    assert "Resolusi" in err.value.message_id and "resolution" in err.value.message_en


def test_a_big_phone_jpeg_is_decoded_scaled_down_and_kept():
    """A 48 MP JPEG goes through (decoded at 1/4 scale) and comes out at the display size."""
    out = process_photo(_jpeg(8000, 6000), max_bytes=50 * 1024 * 1024)
    assert max(out.width, out.height) == 1600


def test_the_requests_photos_share_one_budget():
    """Three PNGs that are each allowed are refused together when they would decode too many pixels."""
    side = int((MAX_FULL_DECODE * 0.9) ** 0.5)
    one = _png(side)
    process_photo(one)
    with pytest.raises(DomainError):
        process_photos([one, one, one], 10 * 1024 * 1024)


_CHILD = """
import io, json, resource, sys
from PIL import Image
from aduan.settings import Settings
from app import create_app

def png(side):
    buf = io.BytesIO(); Image.new("1", (side, side), 0).save(buf, "PNG", optimize=True); return buf.getvalue()

bomb = png(7070)
app = create_app({"SETTINGS": Settings(database_url=sys.argv[1], secret_key="x", submit_limit=0), "TESTING": True})
client = app.test_client()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
codes = []
for _ in range(6):
    data = {"category": "jalan-rusak", "description": "bom foto", "lon": "114.51", "lat": "-3.39",
            "photos": [(io.BytesIO(bomb), f"{i}.png") for i in range(3)]}
    codes.append(client.post("/api/v1/complaints", data=data, content_type="multipart/form-data").status_code)
    codes.append(client.post("/api/v1/photo-location", data={"photos": (io.BytesIO(bomb), "p.png")},
                             content_type="multipart/form-data").status_code)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"codes": codes, "base_mb": base / 1024, "peak_mb": peak / 1024}))
"""


def test_six_bomb_requests_leave_the_workers_memory_alone(database_url, engine):
    """Six requests of three 50-megapixel blank PNGs each, and the pin suggestion on them: all refused or answered,
    and the process grows by well under 100 MB (it was 813 MB per request before the budget)."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, database_url], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=os.environ | {"PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(result["codes"][0::2]) == {400} and set(result["codes"][1::2]) == {200}
    assert result["peak_mb"] - result["base_mb"] < 100, result
