"""Tracking codes like BJM-2611-8K3Q7X: city prefix, year+month of intake (WITA), six random characters.

Crockford's base-32 alphabet (no I, L, O, U) keeps codes readable over the phone; six characters give about
10⁹ codes per month, so codes cannot be guessed in bulk. Uniqueness is enforced by the database.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import secrets

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_CHARS = 6


def tracking_code(prefix: str, created_at_local: dt.datetime) -> str:
    """One new code for a complaint received at the given local time."""
    tail = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return f"{prefix}-{created_at_local:%y%m}-{tail}"


def tracking_codes(prefix: str, yymm: np.ndarray) -> np.ndarray:
    """Vectorised codes for bulk imports; `yymm` holds strings like '2611'. Callers re-draw collisions."""
    n = len(yymm)
    raw = np.frombuffer(os.urandom(n * RANDOM_CHARS), dtype=np.uint8) & 31  # 256 is a multiple of 32: unbiased
    codes = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)[raw].reshape(n, RANDOM_CHARS)
    tails = np.ascontiguousarray(codes).view(f"S{RANDOM_CHARS}").ravel().astype(str)
    return np.char.add(np.char.add(f"{prefix}-", np.asarray(yymm, dtype=str)), np.char.add("-", tails))


_TYPED = re.compile(r"^([A-Z]+)(\d{4})([0-9A-Z]{6})$")


def normalise_code(code: str) -> str:
    """Accept what people type: lower case, spaces, dots or no dashes at all, O for 0, I/L for 1."""
    squeezed = re.sub(r"[\s.\-_/]+", "", code.strip().upper())
    typed = _TYPED.match(squeezed)
    if typed:
        prefix, yymm, tail = typed.groups()
        return f"{prefix}-{yymm}-{_crockford(tail)}"
    code = code.strip().upper().replace(" ", "")
    head, _, tail = code.rpartition("-")
    return f"{head}-{_crockford(tail)}" if head else _crockford(tail)


def _crockford(tail: str) -> str:
    return tail.replace("O", "0").replace("I", "1").replace("L", "1")
