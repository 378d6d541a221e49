"""Complaints for the planner, OGC, tile and export tests: a few hundred points in the tiny test city,
spread over recent months, plus one complaint whose reporter left a name, phone and e-mail (PII that must
never leave the building)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from aduan.bulk_load import load_complaints

PII = {"name": "Siti Rahmawati Pelapor", "phone": "+62 811 5555 0199", "email": "siti.pelapor@contoh.test"}
CATEGORIES = ["jalan-rusak", "sampah", "lampu-jalan"]
STATUSES = ["new", "verified", "in_progress", "resolved", "closed"]


def sample_frame(n: int = 240, seed: int = 1, days: int = 150) -> pd.DataFrame:
    """n complaints inside kelurahan A–D over the last `days` days; a third are open and long overdue."""
    rng = np.random.default_rng(seed)
    now = pd.Timestamp.now(tz="Asia/Makassar").floor("min")
    created = now - pd.to_timedelta(rng.integers(2, days, n), unit="D")
    status = rng.choice(STATUSES, n)
    followed = created + pd.to_timedelta(rng.integers(1, 10, n), unit="D")
    resolved = followed + pd.to_timedelta(rng.integers(1, 20, n), unit="D")
    done = np.isin(status, ["resolved", "closed"])
    return pd.DataFrame({
        "lon": rng.uniform(114.501, 114.539, n), "lat": rng.uniform(-3.399, -3.381, n),
        "category": rng.choice(CATEGORIES, n), "description": [f"Aduan uji {i}" for i in range(n)],
        "created_at": created, "status": status,
        "followed_up_at": pd.Series(followed).where(status != "new").clip(upper=now),
        "resolved_at": pd.Series(resolved).where(done).clip(upper=now),
        "closed_at": pd.Series(resolved).where(status == "closed").clip(upper=now),
    })


def attach_reporter(conn) -> str:
    """Give the newest complaint a reporter with contact data; return its tracking code."""
    rid = conn.execute(text("INSERT INTO reporter (name, phone, email) VALUES (:name, :phone, :email) RETURNING id"),
                       PII).scalar_one()
    return conn.execute(text("UPDATE complaint SET reporter_id = :r, anonymous = false WHERE id = "
                             "(SELECT max(id) FROM complaint) RETURNING tracking_code"), {"r": rid}).scalar_one()


@pytest.fixture
def city_data(app, engine, settings) -> dict:
    """Committed sample complaints (removed by the app fixture afterwards) and a clean layer cache."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE layer_cache"))
        report = load_complaints(conn, sample_frame(), settings=settings)
        code = attach_reporter(conn)
    yield {"loaded": report.loaded, "pii_code": code}
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE layer_cache"))
