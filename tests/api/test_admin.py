"""The admin pages (/admin): every action works and writes its audit row, who may do what (a roles × actions
matrix), bad input is a bilingual 400 with nothing written, every POST needs the CSRF token.

The tests commit (Flask client) and change reference data; `city_restored` puts the test city's SKPD, categories,
service areas and boundary generations back afterwards.
"""
from __future__ import annotations

import io
import json
import re

import geopandas as gpd
import pytest
from shapely.geometry import box, mapping
from sqlalchemy import text

import aduan.admin_keys
from aduan.api_keys import verify_api_key
from tests.conftest import MUTABLE_TABLES
from tests.fieldkit import PASSWORD, csrf_token, login, make_ticket, make_user, ticket_row
from tests.unit.test_boundaries import zipped_shapefile

WEST = box(114.50, -3.40, 114.52, -3.38)  # Kelurahan A
GET_PAGES = ["/admin/", "/admin/audit", "/admin/users", "/admin/api-clients", "/admin/days-off", "/admin/skpd",
             "/admin/categories", "/admin/categories/jalan-rusak", "/admin/import", "/admin/areas",
             "/admin/areas.geojson", "/admin/areas?skpd=DISHUB", "/admin/boundaries", "/admin/skpd/DLH"]


@pytest.fixture(autouse=True)
def city_restored(app, engine):
    """Snapshot the reference data the admin pages change; restore it after the test."""
    with engine.connect() as c:
        skpd = [dict(r) for r in c.execute(text("SELECT * FROM skpd")).mappings()]
        cats = [dict(r) for r in c.execute(text("SELECT * FROM category")).mappings()]
        area_max = c.execute(text("SELECT coalesce(max(id), 0) FROM service_area")).scalar_one()
        open_areas = c.execute(text("SELECT id FROM service_area WHERE valid_to IS NULL")).scalars().all()
        gen_max, active = c.execute(text("SELECT max(id), max(id) FILTER (WHERE active) "
                                         "FROM boundary_generation")).one()
    yield
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {MUTABLE_TABLES}, audit_log RESTART IDENTITY CASCADE"))
        c.execute(text("DELETE FROM service_area_category WHERE service_area_id > :m"), {"m": area_max})
        c.execute(text("DELETE FROM service_area WHERE id > :m"), {"m": area_max})
        c.execute(text("UPDATE service_area SET valid_to = NULL WHERE id = ANY(:ids)"), {"ids": open_areas})
        c.execute(text("DELETE FROM category WHERE id <> ALL(:ids)"), {"ids": [r["id"] for r in cats]})
        c.execute(text("DELETE FROM skpd WHERE id <> ALL(:ids)"), {"ids": [r["id"] for r in skpd]})
        for table, rows in (("skpd", skpd), ("category", cats)):
            for row in rows:
                cols = [k for k in row if k != "id"]
                values = {k: json.dumps(v) if k == "attributes" and v is not None else v for k, v in row.items()}
                c.execute(text(f"UPDATE {table} SET " + ", ".join(f"{k} = :{k}" for k in cols) + " WHERE id = :id"),
                          values)
        c.execute(text("UPDATE boundary_generation SET active = false WHERE active AND id <> :a"), {"a": active})
        c.execute(text("UPDATE boundary_generation SET active = true WHERE id = :a"), {"a": active})
        c.execute(text("DELETE FROM boundary_generation WHERE id > :m"), {"m": gen_max})


@pytest.fixture
def admin(client, engine):
    """An administrator, logged in."""
    make_user(engine, "admin@kominfo.test", "admin")
    login(client, "admin@kominfo.test")
    return client


def _post(client, path: str, data: dict | None = None, page: str = "/admin/users", **kw):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **(data or {})}, **kw)


def _audit(engine, action: str | None = None) -> list[dict]:
    with engine.connect() as c:
        return [dict(r) for r in c.execute(text(
            "SELECT * FROM audit_log WHERE CAST(:a AS text) IS NULL OR action = :a ORDER BY id"),
            {"a": action}).mappings()]


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar_one()


def _messages(resp) -> str:
    return resp.get_data(as_text=True)


# --- who may do what -----------------------------------------------------------------------------------------------

def test_an_admin_opens_every_admin_page(admin):
    for path in GET_PAGES:
        assert admin.get(path).status_code == 200, path


@pytest.mark.parametrize("role", ["officer", "planner", "desk", "skpd_admin"])
def test_other_roles_get_403_on_every_admin_page(client, engine, role):
    """An SKPD admin is bound to PUPR, so DLH's page is refused too."""
    make_user(engine, f"{role}@kota.test", role, "PUPR" if role in ("officer", "skpd_admin") else None)
    login(client, f"{role}@kota.test")
    for path in GET_PAGES:
        assert client.get(path).status_code == 403, (role, path)


@pytest.mark.parametrize("role", ["officer", "planner", "desk", "skpd_admin"])
def test_other_roles_get_403_on_admin_changes_and_nothing_is_written(client, engine, role):
    make_user(engine, f"{role}@kota.test", role, "PUPR" if role in ("officer", "skpd_admin") else None)
    login(client, f"{role}@kota.test")
    token = csrf_token(client, "/field/antrian")
    posts = {"/admin/users": {"email": "baru@kota.test", "role": "admin", "password": PASSWORD},
             "/admin/api-clients": {"name": "Bocor"}, "/admin/days-off": {"day": "2026-12-24", "name": "Libur"},
             "/admin/skpd": {"code": "BARU", "name": "Baru"}, "/admin/skpd/DLH": {"name": "Diretas"},
             "/admin/categories/sampah": {"name": "x", "name_en": "x", "skpd": "PUPR"},
             "/admin/boundaries/1/activate": {}}
    for path, data in posts.items():
        assert client.post(path, data={"csrf_token": token, **data}).status_code == 403, (role, path)
    assert _audit(engine) == []
    assert _count(engine, "SELECT count(*) FROM app_user WHERE email = 'baru@kota.test'") == 0
    assert _count(engine, "SELECT count(*) FROM skpd WHERE name = 'Diretas' OR code = 'BARU'") == 0


def test_anonymous_visitors_are_sent_to_the_login_form(client):
    for path in GET_PAGES:
        resp = client.get(path)
        assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"], path


def test_an_skpd_admin_edits_only_the_names_and_email_of_their_own_skpd(client, engine):
    make_user(engine, "kepala@pupr.test", "skpd_admin", "PUPR")
    login(client, "kepala@pupr.test")
    assert "SKPD saya" in _messages(client.get("/field/antrian"))
    resp = _post(client, "/admin/skpd/PUPR", {"name": "Dinas PUPR Kota", "name_en": "Public Works",
                                              "email": "pupr@kota.test", "active": "tidak"}, page="/admin/skpd/PUPR")
    assert resp.status_code == 303
    with engine.connect() as c:
        row = c.execute(text("SELECT name, name_en, email, active FROM skpd WHERE code = 'PUPR'")).one()
    assert tuple(row) == ("Dinas PUPR Kota", "Public Works", "pupr@kota.test", True)  # `active` is not theirs
    (entry,) = _audit(engine, "skpd.update")
    assert entry["target"] == "skpd:PUPR" and entry["actor_label"] == "kepala"
    assert entry["detail"]["name"] == {"before": "Dinas PUPR", "after": "Dinas PUPR Kota"}
    assert "active" not in entry["detail"]


def test_every_post_needs_the_csrf_token_and_nothing_is_written(admin, engine):
    for path, data in {"/admin/users": {"email": "x@kota.test", "role": "planner", "password": PASSWORD},
                       "/admin/api-clients": {"name": "Klien"}, "/admin/skpd/PUPR": {"name": "Tanpa token"}}.items():
        resp = admin.post(path, data=data)
        assert resp.status_code == 400 and "CSRF" in _messages(resp), path
    assert _audit(engine) == []
    assert _count(engine, "SELECT count(*) FROM api_client") == 0


# --- users ---------------------------------------------------------------------------------------------------------

def test_an_admin_creates_a_user_with_a_password_and_the_audit_row_holds_no_password(admin, engine, app):
    resp = _post(admin, "/admin/users", {"email": "Petugas@DLH.test", "role": "officer", "skpd": "DLH",
                                         "name": "Petugas DLH", "password": "sandi-baru-yang-panjang"})
    assert resp.status_code == 303
    (entry,) = _audit(engine, "user.create")
    assert entry["detail"]["email"] == "petugas@dlh.test" and entry["detail"]["skpd"] == "DLH"
    assert "sandi-baru-yang-panjang" not in json.dumps(entry["detail"]) and entry["client"] == "127.0.0.1"
    other = app.test_client()
    assert login(other, "petugas@dlh.test", "sandi-baru-yang-panjang").status_code in (302, 303)
    assert "petugas@dlh.test" in _messages(admin.get("/admin/users"))


def test_a_generated_password_is_shown_once_and_works(admin, app, engine):
    resp = _post(admin, "/admin/users", {"email": "perencana@kota.test", "role": "planner"})
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="secret">([^<]+)<', _messages(resp)).group(1)
    assert secret not in json.dumps([e["detail"] for e in _audit(engine)])
    assert login(app.test_client(), "perencana@kota.test", secret).status_code in (302, 303)


@pytest.mark.parametrize("data, field", [
    ({"email": "pendek@kota.test", "role": "planner", "password": "pendek"}, "password"),
    ({"email": "bukan-email", "role": "planner", "password": PASSWORD}, "email"),
    ({"email": "petugas@kota.test", "role": "officer", "password": PASSWORD}, "skpd"),
    ({"email": "petugas@kota.test", "role": "officer", "skpd": "NOPE", "password": PASSWORD}, "skpd"),
])
def test_bad_user_input_is_a_bilingual_refusal_and_nothing_is_written(admin, engine, data, field):
    resp = _post(admin, "/admin/users", data)
    assert resp.status_code in (400, 404)
    body = _messages(resp)
    assert 'id="admin-error"' in body
    assert _count(engine, "SELECT count(*) FROM app_user") == 1 and _audit(engine) == []


def test_disabling_a_user_ends_their_sessions_and_enabling_lets_them_back(admin, app, engine):
    uid = make_user(engine, "petugas@pupr.test", "officer", "PUPR")
    officer = app.test_client()
    login(officer, "petugas@pupr.test")
    assert officer.get("/field/antrian").status_code == 200
    assert _post(admin, f"/admin/users/{uid}/active", {"active": "0"}).status_code == 303
    assert officer.get("/field/antrian").status_code == 302
    assert _count(engine, "SELECT count(*) FROM staff_session WHERE user_id = :u", u=uid) == 0
    assert login(app.test_client(), "petugas@pupr.test").status_code not in (302, 303)  # refused
    (entry,) = _audit(engine, "user.disable")
    assert entry["detail"]["active"] == {"before": True, "after": False} and entry["detail"]["sessions_ended"] == 1
    assert _post(admin, f"/admin/users/{uid}/active", {"active": "1"}).status_code == 303
    assert login(app.test_client(), "petugas@pupr.test").status_code in (302, 303)
    assert len(_audit(engine, "user.enable")) == 1


def test_an_admin_cannot_disable_their_own_account(admin, engine):
    me = _count(engine, "SELECT id FROM app_user WHERE email = 'admin@kominfo.test'")
    resp = _post(admin, f"/admin/users/{me}/active", {"active": "0"})
    assert resp.status_code == 400 and "Anda tidak dapat menonaktifkan akun Anda sendiri." in _messages(resp)
    assert admin.get("/admin/users").status_code == 200 and _audit(engine) == []


def test_a_password_reset_ends_the_sessions_and_the_new_password_works(admin, app, engine):
    uid = make_user(engine, "petugas@pupr.test", "officer", "PUPR")
    officer = app.test_client()
    login(officer, "petugas@pupr.test")
    assert _post(admin, f"/admin/users/{uid}/password", {"password": "sandi-pengganti-99"}).status_code == 303
    assert officer.get("/field/antrian").status_code == 302
    assert login(app.test_client(), "petugas@pupr.test", "sandi-pengganti-99").status_code in (302, 303)
    (entry,) = _audit(engine, "user.reset_password")
    assert "sandi-pengganti-99" not in json.dumps(entry["detail"]) and entry["target"] == f"user:{uid}"
    assert _post(admin, f"/admin/users/{uid}/password", {"password": "pendek"}).status_code == 400
    assert len(_audit(engine, "user.reset_password")) == 1


def test_an_admin_changes_a_role_and_skpd(admin, engine):
    uid = make_user(engine, "petugas@pupr.test", "officer", "PUPR")
    assert _post(admin, f"/admin/users/{uid}/role", {"role": "skpd_admin", "skpd": "DLH"}).status_code == 303
    with engine.connect() as c:
        assert tuple(c.execute(text("SELECT u.role, s.code FROM app_user u JOIN skpd s ON s.id = u.skpd_id "
                                    "WHERE u.id = :u"), {"u": uid}).one()) == ("skpd_admin", "DLH")
    (entry,) = _audit(engine, "user.change_role")
    assert entry["detail"]["role"] == {"before": "officer", "after": "skpd_admin"}
    assert entry["detail"]["skpd"] == {"before": "PUPR", "after": "DLH"}
    resp = _post(admin, f"/admin/users/{uid}/role", {"role": "officer", "skpd": ""})
    assert resp.status_code == 400 and len(_audit(engine, "user.change_role")) == 1


# --- API clients ---------------------------------------------------------------------------------------------------

def test_an_admin_creates_a_key_shown_once_and_revokes_it(admin, engine):
    resp = _post(admin, "/admin/api-clients", {"name": "Gerbang WhatsApp", "channels": "1"}, page="/admin/api-clients")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    key = re.search(r'id="secret">([^<]+)<', _messages(resp)).group(1)
    with engine.begin() as c:
        client_id = verify_api_key(c, key)
        assert c.execute(text("SELECT channels FROM api_client WHERE id = :i"), {"i": client_id}).scalar_one()
    (entry,) = _audit(engine, "api_client.create")
    assert key not in json.dumps(entry["detail"]) and key.split("_")[1] == entry["detail"]["key_prefix"]
    listing = _messages(admin.get("/admin/api-clients"))
    assert "Gerbang WhatsApp" in listing and key not in listing
    assert _post(admin, f"/admin/api-clients/{client_id}/revoke", page="/admin/api-clients").status_code == 303
    with engine.begin() as c:
        assert verify_api_key(c, key) is None
    assert len(_audit(engine, "api_client.revoke")) == 1


def test_a_client_without_a_name_is_refused(admin, engine):
    resp = _post(admin, "/admin/api-clients", {"name": "  "}, page="/admin/api-clients")
    assert resp.status_code == 400 and "Nama klien wajib diisi" in _messages(resp)
    assert _count(engine, "SELECT count(*) FROM api_client") == 0 and _audit(engine) == []


# --- days off ------------------------------------------------------------------------------------------------------

def test_an_admin_adds_and_removes_a_day_off(admin, engine):
    assert _post(admin, "/admin/days-off", {"day": "2026-12-24", "name": "Cuti bersama Natal"}).status_code == 303
    assert "Cuti bersama Natal" in _messages(admin.get("/admin/days-off"))
    assert _count(engine, "SELECT count(*) FROM day_off WHERE day = '2026-12-24'") == 1
    assert _post(admin, "/admin/days-off/2026-12-24/remove").status_code == 303
    assert _count(engine, "SELECT count(*) FROM day_off") == 0
    assert [e["action"] for e in _audit(engine)] == ["day_off.add", "day_off.remove"]
    resp = _post(admin, "/admin/days-off", {"day": "24/12/2026", "name": "Salah"})
    assert resp.status_code == 400 and "YYYY-MM-DD" in _messages(resp)
    assert _count(engine, "SELECT count(*) FROM day_off") == 0 and len(_audit(engine)) == 2


# --- SKPD and categories -------------------------------------------------------------------------------------------

def test_an_admin_creates_and_edits_an_skpd(admin, engine):
    assert _post(admin, "/admin/skpd", {"code": "BPBD", "name": "Badan Penanggulangan Bencana",
                                        "name_en": "Disaster Agency", "active": "ya"}).status_code == 303
    assert _post(admin, "/admin/skpd/BPBD", {"name": "BPBD Kota", "name_en": "Disaster Agency",
                                             "email": "bpbd@kota.test", "active": "tidak"}).status_code == 303
    with engine.connect() as c:
        assert tuple(c.execute(text("SELECT name, email, active FROM skpd WHERE code = 'BPBD'")).one()) == (
            "BPBD Kota", "bpbd@kota.test", False)
    create, edit = _audit(engine)
    assert (create["action"], edit["action"]) == ("skpd.create", "skpd.update")
    assert edit["detail"]["active"] == {"before": True, "after": False}


def test_a_bad_skpd_form_names_the_column_and_writes_nothing(admin, engine):
    resp = _post(admin, "/admin/skpd/PUPR", {"name": "", "email": "bukan-email"})
    body = _messages(resp)
    assert resp.status_code == 400 and "kolom name" in body and "kolom email" in body
    assert _count(engine, "SELECT count(*) FROM skpd WHERE code = 'PUPR' AND name = 'Dinas PUPR'") == 1
    assert _post(admin, "/admin/skpd", {"code": "PUPR", "name": "Lagi"}).status_code == 409
    assert _audit(engine) == []


def test_an_admin_edits_a_category_with_the_imports_checks(admin, engine):
    page = _messages(admin.get("/admin/categories/jalan-rusak"))
    assert '<option value="PUPR" selected>' in page
    assert 'name="handling_days" type="text" inputmode="numeric" value="15"' in page
    data = {"name": "Jalan rusak", "name_en": "Damaged road", "skpd": "DLH", "followup_days": "3",
            "handling_days": "10", "confidential": "tidak", "duplicate_radius_m": "100", "active": "ya",
            "resolve_needs_evidence": "ya", "attributes": '[{"code": "depth", "datatype": "number"}]'}
    assert _post(admin, "/admin/categories/jalan-rusak", data).status_code == 303
    with engine.connect() as c:
        row = c.execute(text("SELECT s.code, c.followup_days, c.handling_days, c.duplicate_radius_m, c.attributes, "
                             "c.resolve_needs_evidence FROM category c JOIN skpd s ON s.id = c.default_skpd_id "
                             "WHERE c.code = 'jalan-rusak'")).one()
    assert tuple(row) == ("DLH", 3, 10, 100, [{"code": "depth", "datatype": "number"}], True)
    assert '<option value="ya" selected>' in _messages(admin.get("/admin/categories/jalan-rusak"))
    (entry,) = _audit(engine, "category.update")
    assert entry["detail"]["handling_days"] == {"before": 15, "after": 10}
    assert entry["detail"]["skpd"] == {"before": "PUPR", "after": "DLH"}
    resp = _post(admin, "/admin/categories/jalan-rusak", {**data, "followup_days": "9", "handling_days": "4"})
    assert resp.status_code == 400 and "kolom handling_days" in _messages(resp)
    resp = _post(admin, "/admin/categories/jalan-rusak", {**data, "attributes": "{bukan json"})
    assert resp.status_code == 400
    assert _count(engine, "SELECT handling_days FROM category WHERE code = 'jalan-rusak'") == 10
    assert len(_audit(engine)) == 1


def test_an_admin_creates_a_category(admin, engine):
    data = {"code": "banjir", "name": "Banjir", "name_en": "Flood", "skpd": "PUPR", "followup_days": "",
            "handling_days": "", "confidential": "ya", "duplicate_radius_m": "", "active": "ya"}
    assert _post(admin, "/admin/categories", data).status_code == 303
    with engine.connect() as c:
        assert tuple(c.execute(text("SELECT followup_days, handling_days, confidential FROM category "
                                    "WHERE code = 'banjir'")).one()) == (5, 15, True)
    assert [e["action"] for e in _audit(engine)] == ["category.create"]


def test_a_csv_import_from_the_browser_reports_and_refuses_like_the_cli(admin, engine):
    good = "code,name,name_en\nPUPR,Dinas PUPR,Public Works\nBPBD,Badan Bencana,Disasters\n"
    resp = _post(admin, "/admin/import", {"kind": "skpd", "file": (io.BytesIO(good.encode()), "skpd.csv")},
                 page="/admin/import", content_type="multipart/form-data")
    assert resp.status_code == 200 and 'id="import-report"' in _messages(resp)
    (entry,) = _audit(engine, "skpd.import")
    assert entry["detail"]["created"] == ["BPBD"] and entry["detail"]["updated"] == ["PUPR"]
    cats = "code,name,name_en,skpd,handling_days\nbanjir,Banjir,Flood,BPBD,20\n"
    resp = _post(admin, "/admin/import", {"kind": "categories", "file": (io.BytesIO(cats.encode()), "k.csv")},
                 page="/admin/import", content_type="multipart/form-data")
    assert resp.status_code == 200 and _count(engine, "SELECT handling_days FROM category WHERE code = 'banjir'") == 20
    assert _audit(engine, "categories.import")[0]["detail"]["created"] == ["banjir"]
    bad = "code,name,name_en,skpd,followup_days\nbanjir2,Banjir,Flood,NOPE,x\n"
    resp = _post(admin, "/admin/import", {"kind": "categories", "file": (io.BytesIO(bad.encode()), "k.csv")},
                 page="/admin/import", content_type="multipart/form-data")
    body = _messages(resp)
    assert resp.status_code == 400 and "baris 2, kolom skpd" in body and "baris 2, kolom followup_days" in body
    assert _count(engine, "SELECT count(*) FROM category WHERE code = 'banjir2'") == 0 and len(_audit(engine)) == 2


# --- service areas -------------------------------------------------------------------------------------------------

def _areas_file(skpd: str = "DISHUB", categories: str = "jalan-rusak") -> bytes:
    feature = {"type": "Feature", "properties": {"skpd": skpd, "categories": categories, "name": "Dishub Barat"},
               "geometry": mapping(WEST)}
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def _preview(admin, data: bytes, name: str = "areas.geojson"):
    return _post(admin, "/admin/areas/preview", {"file": (io.BytesIO(data), name)}, page="/admin/areas",
                 content_type="multipart/form-data")


def _save_form(html: str) -> dict:
    return {k: re.search(rf'name="{k}" value="([^"]*)"', html).group(1) for k in ("filename", "payload")}


def test_the_preview_lists_the_ticket_that_would_move_and_writes_nothing(admin, engine, settings):
    code = make_ticket(engine, settings)  # a PUPR road ticket in Kelurahan A
    areas_before = _count(engine, "SELECT count(*) FROM service_area")
    resp = _preview(admin, _areas_file())
    body = _messages(resp)
    assert resp.status_code == 200
    row = re.search(rf'<tr data-code="{code}">(.*?)</tr>', body, re.S).group(1)
    assert "PUPR" in row and "DISHUB" in row and 'id="move-count">1<' in body
    assert re.search(r'<ul id="move-summary">\s*<li>PUPR → DISHUB: 1</li>', body)
    assert "Dishub Koridor" in body and "Dishub Barat" in body  # ended and new, in the check report
    assert _count(engine, "SELECT count(*) FROM service_area") == areas_before
    assert _count(engine, "SELECT count(*) FROM service_area WHERE valid_to IS NOT NULL") == 0
    assert ticket_row(engine, code)["skpd_id"] == _count(engine, "SELECT id FROM skpd WHERE code = 'PUPR'")
    assert _audit(engine) == []


def test_saving_replaces_the_areas_and_the_ticket_stays_until_reroute_is_chosen(admin, engine, settings):
    code = make_ticket(engine, settings)
    form = _save_form(_messages(_preview(admin, _areas_file())))
    assert _post(admin, "/admin/areas/save", form, page="/admin/areas").status_code == 303
    current = admin.get("/admin/areas.geojson?skpd=DISHUB").get_json()
    assert [f["properties"]["name"] for f in current["features"]] == ["Dishub Barat"]
    assert current["features"][0]["properties"]["categories"] == ["jalan-rusak"]
    listed = _messages(admin.get("/admin/areas?skpd=DISHUB"))
    assert re.findall(r'<tr data-area="\d+"><td>([^<]+)</td>', listed) == ["Dishub Barat"]
    assert ticket_row(engine, code)["skpd_id"] == _count(engine, "SELECT id FROM skpd WHERE code = 'PUPR'")
    (entry,) = _audit(engine)
    assert entry["action"] == "service_areas.replace" and entry["target"] == "skpd:DISHUB"
    assert entry["detail"]["created"] == ["DISHUB: Dishub Barat"]
    assert entry["detail"]["closed"] == ["DISHUB: Dishub Koridor"]


def test_saving_with_reroute_moves_the_ticket_and_audits_both(admin, engine, settings):
    code = make_ticket(engine, settings)
    form = _save_form(_messages(_preview(admin, _areas_file())))
    assert _post(admin, "/admin/areas/save", {**form, "reroute": "1"}, page="/admin/areas").status_code == 303
    assert ticket_row(engine, code)["skpd_id"] == _count(engine, "SELECT id FROM skpd WHERE code = 'DISHUB'")
    replace, moved = _audit(engine)
    assert (replace["action"], moved["action"]) == ("service_areas.replace", "complaints.reroute")
    assert moved["detail"]["count"] == 1 and moved["detail"]["moves"][0]["tracking_code"] == code


def test_a_zipped_shapefile_and_a_geopackage_preview_too(admin, engine, settings, tmp_path):
    """The three formats the city's GIS exports: a Shapefile's DBF says SKPD in capitals, that is fine."""
    code = make_ticket(engine, settings)
    frame = gpd.GeoDataFrame({"SKPD": ["DISHUB"], "CATEGORIES": ["jalan-rusak"], "NAME": ["Dishub Barat"]},
                             geometry=[WEST], crs="EPSG:4326")
    shp = zipped_shapefile(frame, tmp_path, "wilayah")
    gpkg = tmp_path / "wilayah.gpkg"
    frame.to_file(gpkg, driver="GPKG")
    for path in (shp, str(gpkg)):
        with open(path, "rb") as f:
            resp = _preview(admin, f.read(), path.rsplit("/", 1)[1])
        assert resp.status_code == 200, path
        assert f'<tr data-code="{code}">' in _messages(resp)
    assert _audit(engine) == []


def test_refusals_are_said_in_english_for_an_english_reader(admin, engine):
    resp = _post(admin, "/admin/users?lang=en", {"email": "pendek@kota.test", "role": "planner", "password": "x"})
    assert resp.status_code == 400 and "The password needs at least 10 characters." in _messages(resp)
    resp = _post(admin, "/admin/areas/preview?lang=en", {"file": (io.BytesIO(_areas_file(skpd="NOPE")), "a.geojson")},
                 page="/admin/areas", content_type="multipart/form-data")
    assert resp.status_code == 400 and "feature 1, column skpd: unknown SKPD" in _messages(resp)
    assert _audit(engine) == []


def test_a_bad_area_file_shows_the_feature_and_property_and_writes_nothing(admin, engine):
    resp = _preview(admin, _areas_file(skpd="NOPE", categories="tidak-ada"))
    body = _messages(resp)
    assert resp.status_code == 400 and "fitur 1, kolom skpd" in body and "fitur 1, kolom categories" in body
    assert _preview(admin, b"code,name\n", "areas.csv").status_code == 400
    resp = _post(admin, "/admin/areas/save", {"filename": "a.geojson", "payload": "!!!"}, page="/admin/areas")
    assert resp.status_code == 400
    assert _count(engine, "SELECT count(*) FROM service_area WHERE valid_to IS NOT NULL") == 0 and not _audit(engine)


# --- boundaries and the audit page ---------------------------------------------------------------------------------

def test_an_admin_activates_a_reviewed_boundary_generation(admin, engine):
    with engine.begin() as c:
        gen = c.execute(text("INSERT INTO boundary_generation (name, report) VALUES ('resmi 2026', "
                             "CAST(:r AS jsonb)) RETURNING id"),
                        {"r": json.dumps({"kelurahan": {"features": 4}})}).scalar_one()
        kec = c.execute(text("INSERT INTO kecamatan (generation_id, code, name, geom) SELECT :g, code, name, geom "
                             "FROM kecamatan WHERE code = '99.01.01' LIMIT 1 RETURNING id"), {"g": gen}).scalar_one()
        c.execute(text("INSERT INTO kelurahan (generation_id, kecamatan_id, code, name, area_km2, geom) "
                       "SELECT :g, :k, code, name, area_km2, geom FROM kelurahan WHERE code = '99.01.01.1001' "
                       "LIMIT 1"), {"g": gen, "k": kec})
    listing = _messages(admin.get("/admin/boundaries"))
    assert "resmi 2026" in listing and '{"features": 4}' in listing
    assert _post(admin, f"/admin/boundaries/{gen}/activate", page="/admin/boundaries").status_code == 303
    assert _count(engine, "SELECT id FROM boundary_generation WHERE active") == gen
    (entry,) = _audit(engine, "boundaries.activate")
    assert entry["detail"]["active"]["after"] == gen
    assert _post(admin, "/admin/boundaries/999999/activate", page="/admin/boundaries").status_code == 400


def test_the_audit_page_lists_newest_first_and_filters_by_action(admin, engine):
    for day in ("2026-12-24", "2026-12-26"):
        _post(admin, "/admin/days-off", {"day": day, "name": "Cuti"})
    _post(admin, "/admin/days-off/2026-12-24/remove")
    body = _messages(admin.get("/admin/audit"))
    order = re.findall(r'data-action="([^"]+)"', body)
    assert order == ["day_off.remove", "day_off.add", "day_off.add"]
    filtered = re.findall(r'data-action="([^"]+)"', _messages(admin.get("/admin/audit?action=day_off.remove")))
    assert filtered == ["day_off.remove"]


def test_the_audit_page_pages_fifty_rows_at_a_time(admin, engine):
    with engine.begin() as c:
        c.execute(text("INSERT INTO audit_log (actor_label, action, target, at) SELECT 'uji', 'day_off.add', "
                       "'day_off:' || n, now() - n * interval '1 minute' FROM generate_series(1, 51) n"))
    first = _messages(admin.get("/admin/audit"))
    assert first.count('data-action="day_off.add"') == 50 and 'rel="next"' in first
    last = _messages(admin.get("/admin/audit?page=2"))
    assert last.count('data-action="day_off.add"') == 1 and "day_off:51" in last


def test_a_change_and_its_audit_row_are_one_transaction(admin, engine, monkeypatch):
    """If the audit row cannot be written, the change is not kept either."""
    def broken(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(aduan.admin_keys, "audit", broken)
    with pytest.raises(RuntimeError):
        _post(admin, "/admin/api-clients", {"name": "Tanpa jejak"}, page="/admin/api-clients")
    assert _count(engine, "SELECT count(*) FROM api_client") == 0


def test_a_city_wide_reroute_takes_moved_tickets_back_from_their_officers(admin, engine, settings):
    """A ticket that a boundary or service-area change moves to another SKPD is no longer its old officer's."""
    code = make_ticket(engine, settings)
    andi = make_user(engine, "andi@pupr.test", "officer", "PUPR")
    with engine.begin() as c:
        c.execute(text("UPDATE complaint SET assigned_to_id = :a WHERE tracking_code = :c"), {"a": andi, "c": code})
    form = _save_form(_messages(_preview(admin, _areas_file())))
    assert _post(admin, "/admin/areas/save", {**form, "reroute": "1"}, page="/admin/areas").status_code == 303
    row = ticket_row(engine, code)
    assert row["skpd_id"] == _count(engine, "SELECT id FROM skpd WHERE code = 'DISHUB'")
    assert row["assigned_to_id"] is None
