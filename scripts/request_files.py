"""How many of our files a newcomer opens to follow a request from its URL to its SQL.

Runs three representative requests in-process against the test database (the tiny test city that `make test`
leaves behind) and records, at every SQL statement the request executes, which of our source files are on the
call stack (the URL → SQL path; the view's own file is counted too), and every file of ours with a function
that ran during the request (marked * when it is also on the path).

    DATABASE_URL=… .venv/bin/python scripts/request_files.py
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PACKAGES = ("app", "aduan", "geo", "layers")
GOOD = {"category": "jalan-rusak", "description": "Jalan berlubang di depan pasar", "lon": 114.51, "lat": -3.39}


def _ours(filename: str) -> str | None:
    path = Path(filename).resolve()
    try:
        rel = path.relative_to(ROOT)
    except ValueError:
        return None
    return str(rel) if rel.parts and rel.parts[0] in PACKAGES else None


def _trace(app, engine, send) -> tuple[list[str], list[str]]:
    """(files on the call stack of some SQL statement, files with any function run during the request)."""
    seen: set[str] = set()
    ran: set[str] = set()

    def on_call(frame, event_name, _arg) -> None:
        if event_name == "call":
            name = _ours(frame.f_code.co_filename)
            if name:
                ran.add(name)

    active = []

    def on_execute(*_args) -> None:
        if not active:
            return
        for frame in traceback.extract_stack():
            name = _ours(frame.filename)
            if name and not name.startswith(("app/db.py", "aduan/db.py")):
                seen.add(name)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        with app.test_client() as client:
            resp = send(client, lambda: active.append(sys.setprofile(on_call)))
            sys.setprofile(None)
            assert resp.status_code < 400, (resp.status_code, resp.get_data(as_text=True)[:300])
            view = app.view_functions[_endpoint(app, resp.request)]
            seen.add(_ours(view.__code__.co_filename) or "?")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return sorted(seen), sorted(ran)


def _endpoint(app, request) -> str:
    adapter = app.url_map.bind("localhost")
    return adapter.match(request.path, method=request.method)[0]


def main() -> None:
    from app import create_app

    test_url = os.environ.get("TEST_DATABASE_URL") or os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/peta_aduan_test"
    os.environ["DATABASE_URL"] = test_url
    os.environ.setdefault("PETA_SUBMIT_LIMIT", "0")
    app = create_app({"TESTING": True, "SECRET_KEY": "trace"})
    engine = app.extensions["db_engine"]
    key = _api_key(engine)
    requests = {
        "POST /lapor": lambda c, start: start() or c.post("/lapor", data={k: str(v) for k, v in GOOD.items()}),
        "GET /api/v1/nearby": _nearby(engine),
        "POST /open311/v2/requests.json": lambda c, start: start() or c.post("/open311/v2/requests.json", data={
            "api_key": key, "service_code": "jalan-rusak", "lat": "-3.39", "long": "114.51",
            "description": "Jalan berlubang di depan pasar"}),
    }
    try:
        for name, send in requests.items():
            path, ran = _trace(app, engine, send)
            print(f"{name}: {len(path)} files from URL to SQL, {len(ran)} files run")
            for f in sorted(set(ran) | set(path)):
                print(f"    {'*' if f in path else ' '} {f}")
    finally:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE attachment, complaint_event, complaint, reporter, app_user, api_client, "
                              "rate_limit RESTART IDENTITY CASCADE"))


def _api_key(engine) -> str:
    from aduan.api_keys import create_api_key

    with engine.begin() as conn:
        return create_api_key(conn, "trace")


def _nearby(engine):
    """An officer's session: log in through the form, then ask for tickets nearby."""
    from aduan.accounts import create_user

    with engine.begin() as conn:
        create_user(conn, "trace@pupr.example", "a-long-password", "officer", "PUPR")

    def send(client, start):
        html = client.get("/login").get_data(as_text=True)
        token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"email": "trace@pupr.example", "password": "a-long-password",
                                    "csrf_token": token})
        start()
        return client.get("/api/v1/nearby?lon=114.51&lat=-3.39")

    return send


if __name__ == "__main__":
    main()
