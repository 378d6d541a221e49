"""A page as PDF through headless Chromium's own print (`--print-to-pdf`): the printed report is exactly the page
the browser shows, with its print stylesheet, and no second layout engine to keep in step. Chromium is the one
the browser tests use (scripts/bootstrap.sh installs it; PETA_CHROMIUM names another). Without it the report
page is still there to print from a browser, and the PDF answers 503 saying so."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from aduan.errors import Unavailable

TIMEOUT_S = 60


def chromium() -> str | None:
    """The Chromium to print with, if it is there (PETA_CHROMIUM, else chromium on the PATH)."""
    named = os.environ.get("PETA_CHROMIUM")
    if named:
        return shutil.which(named)
    return shutil.which("chromium") or shutil.which("chromium-browser")


def html_to_pdf(html: str) -> bytes:
    """The HTML (self-contained: styles inline, no scripts, no external URLs) printed to A4 by Chromium."""
    exe = chromium()
    if exe is None:
        raise Unavailable("PDF memerlukan Chromium di server; cetak halaman laporan dari peramban.",
                          "The PDF needs Chromium on the server; print the report page from a browser.")
    with tempfile.TemporaryDirectory(prefix="peta-pdf-") as tmp:
        page, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        try:
            subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--no-pdf-header-footer", f"--user-data-dir={tmp}/p",
                            f"--print-to-pdf={out}", page.as_uri()], capture_output=True, timeout=TIMEOUT_S,
                           check=False)
        except subprocess.TimeoutExpired:
            raise Unavailable("Pembuatan PDF terlalu lama; coba lagi.", "Making the PDF took too long; try again.") \
                from None
        if not out.exists() or out.stat().st_size == 0:
            raise Unavailable("PDF tidak dapat dibuat; cetak halaman laporan dari peramban.",
                              "The PDF could not be made; print the report page from a browser.")
        return out.read_bytes()
