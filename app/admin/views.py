"""The admin pages (/admin): users, API clients, days off, SKPD and categories, service areas with a re-route
preview, boundary generations, and the audit log of every change made here.

Authorization on the server: `admin` opens everything; an `skpd_admin` only their own SKPD's page (aduan/admin.py);
others get 403, anonymous visitors the login form. Every POST carries the CSRF token (protect_posts). Each view
parses the form, calls one function of aduan/admin*.py on the request's connection (which writes the audit row in
the same transaction) and renders; a refused change shows the page again with the message, its status and nothing
written. A password or key made here is shown once, on the answer to the POST itself (never flashed into the
cookie), with `Cache-Control: no-store`.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext

from aduan import admin, admin_areas, admin_city, admin_keys, admin_users, city_setup, permissions
from aduan.admin import Actor
from aduan.errors import DomainError
from aduan.permissions import ROLES, SKPD_ROLES
from aduan.queries import reference
from app import current_settings
from app.auth.session import current_user, protect_posts, require_role
from app.db import get_session
from app.errors import page_shape, status_of

bp = Blueprint("admin", __name__)
bp.before_request(protect_posts)
error_shape = page_shape("auth/error.html")
ADMIN = ("admin",)


def _actor() -> Actor:
    return Actor(current_user(), request.remote_addr)


def _page_no() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdigit() and len(page) < 7 else 1


def _change(action: Callable, again: Callable, message: str | None = None):
    """Run one change on the request's connection and commit; a refusal rolls back and shows the page again."""
    session = get_session()
    try:
        result = action(session.connection())
    except DomainError as err:
        session.rollback()
        return None, again(error=err, form=request.form.to_dict(), status=status_of(err))
    session.commit()
    if message:
        flash(message, "ok")
    return result, None


def _secret(title: str, secret: str, back: str):
    """A password or key shown once: not cached, not flashed into the cookie."""
    resp = make_response(render_template("admin/secret.html", title=title, secret=secret, back=back))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/")
@require_role(*ADMIN)
def index():
    return render_template("admin/index.html")


@bp.get("/audit")
@require_role(*ADMIN)
def audit_log():
    """Newest first; ?action= filters, ?page= pages."""
    action = (request.args.get("action") or "").strip()[:60] or None
    log = admin.audit_page(get_session().connection(), _page_no(), action)
    return render_template("admin/audit.html", log=log, action=action or "")


# --- users ---------------------------------------------------------------------------------------------------------

def _users_page(error: DomainError | None = None, form: dict | None = None, status: int = 200):
    conn = get_session().connection()
    return render_template("admin/users.html", users=admin_users.list_users(conn), error=error, form=form or {},
                           roles=ROLES, skpd_roles=SKPD_ROLES, skpds=reference.skpd_choices(conn)), status


@bp.get("/users")
@require_role(*ADMIN)
def users():
    return _users_page()


@bp.post("/users")
@require_role(*ADMIN)
def user_create():
    f = request.form
    done, again = _change(lambda c: admin_users.create(
        c, _actor(), f.get("email", ""), f.get("role", ""), (f.get("skpd") or "").strip() or None,
        (f.get("name") or "").strip()[:200] or None, f.get("password") or None), _users_page)
    if again:
        return again
    uid, generated = done
    if generated:
        return _secret(gettext("Kata sandi pengguna baru"), generated, url_for("admin.users"))
    flash(gettext("Pengguna #%(id)s dibuat.", id=uid), "ok")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<int:user_id>/active")
@require_role(*ADMIN)
def user_active(user_id: int):
    active = request.form.get("active") == "1"
    message = gettext("Akun diaktifkan.") if active else \
        gettext("Akun dinonaktifkan; semua sesinya berakhir.")
    _, again = _change(lambda c: admin_users.set_active(c, _actor(), user_id, active), _users_page, message)
    return again or redirect(url_for("admin.users"), 303)


@bp.post("/users/<int:user_id>/password")
@require_role(*ADMIN)
def user_password(user_id: int):
    generated, again = _change(lambda c: admin_users.reset_password(
        c, _actor(), user_id, request.form.get("password") or None), _users_page)
    if again:
        return again
    if generated:
        return _secret(gettext("Kata sandi baru"), generated, url_for("admin.users"))
    flash(gettext("Kata sandi diganti; semua sesinya berakhir."), "ok")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<int:user_id>/role")
@require_role(*ADMIN)
def user_role(user_id: int):
    f = request.form
    _, again = _change(lambda c: admin_users.change_role(c, _actor(), user_id, f.get("role", ""), f.get("skpd")),
                       _users_page, gettext("Peran diubah."))
    return again or redirect(url_for("admin.users"), 303)


# --- API clients ---------------------------------------------------------------------------------------------------

def _clients_page(error: DomainError | None = None, form: dict | None = None, status: int = 200):
    clients = admin_keys.list_clients(get_session().connection())
    return render_template("admin/clients.html", clients=clients, error=error, form=form or {}), status


@bp.get("/api-clients")
@require_role(*ADMIN)
def clients():
    return _clients_page()


@bp.post("/api-clients")
@require_role(*ADMIN)
def client_create():
    f = request.form
    key, again = _change(lambda c: admin_keys.create(c, _actor(), f.get("name", ""), f.get("channels") == "1"),
                         _clients_page)
    return again or _secret(gettext("Kunci API baru"), key, url_for("admin.clients"))


@bp.post("/api-clients/<int:client_id>/revoke")
@require_role(*ADMIN)
def client_revoke(client_id: int):
    _, again = _change(lambda c: admin_keys.revoke(c, _actor(), client_id), _clients_page,
                       gettext("Kunci dicabut."))
    return again or redirect(url_for("admin.clients"), 303)


# --- days off ------------------------------------------------------------------------------------------------------

def _days_page(error: DomainError | None = None, form: dict | None = None, status: int = 200):
    days = admin_city.list_days_off(get_session().connection())
    return render_template("admin/days_off.html", days=days, error=error, form=form or {}), status


@bp.get("/days-off")
@require_role(*ADMIN)
def days_off():
    return _days_page()


@bp.post("/days-off")
@require_role(*ADMIN)
def day_off_add():
    f = request.form
    due, again = _change(lambda c: admin_city.add_day_off(c, _actor(), f.get("day", ""), f.get("name", "")),
                         _days_page, gettext("Hari libur dicatat."))
    if not again and due:
        flash(gettext("%(n)s aduan terbuka bertenggat setelah tanggal ini; tenggat tersimpan tidak diubah.",
                      n=due), "warn")
    return again or redirect(url_for("admin.days_off"), 303)


@bp.post("/days-off/<day>/remove")
@require_role(*ADMIN)
def day_off_remove(day: str):
    _, again = _change(lambda c: admin_city.remove_day_off(c, _actor(), day), _days_page,
                       gettext("Hari libur dihapus."))
    return again or redirect(url_for("admin.days_off"), 303)


# --- SKPD and categories -------------------------------------------------------------------------------------------

def _skpd_list_page(error: DomainError | None = None, form: dict | None = None, status: int = 200):
    rows = city_setup.skpd_overview(get_session().connection())
    return render_template("admin/skpd_list.html", rows=rows, error=error, form=form or {}), status


@bp.get("/skpd")
@require_role(*ADMIN)
def skpd_list():
    return _skpd_list_page()


@bp.post("/skpd")
@require_role(*ADMIN)
def skpd_create():
    code = (request.form.get("code") or "").strip()
    _, again = _change(lambda c: admin_city.save_skpd(c, _actor(), code, request.form, new=True), _skpd_list_page,
                       gettext("SKPD dibuat."))
    return again or redirect(url_for("admin.skpd_detail", code=code), 303)


def _skpd_page(code: str, error: DomainError | None = None, form: dict | None = None, status: int = 200):
    permissions.check_skpd(current_user(), code)
    skpd = admin_city.get_skpd(get_session().connection(), code)
    return render_template("admin/skpd.html", skpd=skpd, error=error, form=form or {}), status


@bp.get("/skpd/<code>")
@require_role("admin", "skpd_admin")
def skpd_detail(code: str):
    return _skpd_page(code)


@bp.post("/skpd/<code>")
@require_role("admin", "skpd_admin")
def skpd_save(code: str):
    _, again = _change(lambda c: admin_city.save_skpd(c, _actor(), code, request.form),
                       lambda **kw: _skpd_page(code, **kw), gettext("SKPD disimpan."))
    return again or redirect(url_for("admin.skpd_detail", code=code), 303)


def _categories_page(error: DomainError | None = None, form: dict | None = None, status: int = 200):
    conn = get_session().connection()
    return render_template("admin/categories.html", rows=admin_city.list_categories(conn), error=error,
                           form=form or {}, skpds=reference.skpd_choices(conn)), status


@bp.get("/categories")
@require_role(*ADMIN)
def categories():
    return _categories_page()


@bp.post("/categories")
@require_role(*ADMIN)
def category_create():
    code = (request.form.get("code") or "").strip()
    _, again = _change(lambda c: admin_city.save_category(c, _actor(), code, request.form, new=True),
                       _categories_page, gettext("Kategori dibuat."))
    return again or redirect(url_for("admin.category", code=code), 303)


def _category_page(code: str, error: DomainError | None = None, form: dict | None = None, status: int = 200):
    conn = get_session().connection()
    return render_template("admin/category.html", c=admin_city.get_category(conn, code), error=error,
                           form=form or {}, skpds=reference.skpd_choices(conn)), status


@bp.get("/categories/<code>")
@require_role(*ADMIN)
def category(code: str):
    return _category_page(code)


@bp.post("/categories/<code>")
@require_role(*ADMIN)
def category_save(code: str):
    _, again = _change(lambda c: admin_city.save_category(c, _actor(), code, request.form),
                       lambda **kw: _category_page(code, **kw), gettext("Kategori disimpan."))
    return again or redirect(url_for("admin.category", code=code), 303)


def _import_page(error: DomainError | None = None, form: dict | None = None, status: int = 200, report=None):
    return render_template("admin/import.html", error=error, form=form or {}, report=report), status


@bp.get("/import")
@require_role(*ADMIN)
def imports():
    return _import_page()


@bp.post("/import")
@require_role(*ADMIN)
def import_post():
    upload = request.files.get("file")
    data, name = (upload.read(), upload.filename or "") if upload else (b"", "")
    report, again = _change(lambda c: admin_city.import_csv(c, _actor(), request.form.get("kind", ""), data, name),
                            _import_page)
    return again or _import_page(report=report)


# --- service areas -------------------------------------------------------------------------------------------------

@bp.get("/areas")
@require_role(*ADMIN)
def areas():
    """Every SKPD's number of areas in force; ?skpd=CODE lists and maps that SKPD's areas only."""
    conn, code = get_session().connection(), (request.args.get("skpd") or "").strip()[:40] or None
    shown = admin_areas.current_geojson(conn, [code]) if code else None
    return render_template("admin/areas.html", rows=admin_areas.summary(conn), selected=code, shown=shown)


@bp.get("/areas.geojson")
@require_role(*ADMIN)
def areas_geojson():
    """The areas in force (?skpd=CODE for one SKPD); staff-only, for the admin map."""
    codes = [request.args["skpd"]] if request.args.get("skpd") else None
    resp = jsonify(admin_areas.current_geojson(get_session().connection(), codes))
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _areas_error(error: DomainError, form: dict | None = None, status: int = 400):
    rows = admin_areas.summary(get_session().connection())
    return render_template("admin/areas.html", rows=rows, error=error, selected=None, shown=None), status


@bp.post("/areas/preview")
@require_role(*ADMIN)
def areas_preview():
    """Check the file and show what saving it would change; nothing is written."""
    upload = request.files.get("file")
    data, name = (upload.read(), upload.filename or "") if upload else (b"", "")
    p, again = _change(lambda c: admin_areas.preview(c, _actor(), data, name, current_settings()), _areas_error)
    if again:
        return again
    return render_template("admin/areas_preview.html", p=p, filename=name, payload=admin_areas.encode(data))


@bp.post("/areas/save")
@require_role(*ADMIN)
def areas_save():
    f = request.form
    name, apply_reroute = f.get("filename", ""), f.get("reroute") == "1"
    done, again = _change(lambda c: admin_areas.save(c, _actor(), admin_areas.decode(f.get("payload", "")), name,
                                                     current_settings(), apply_reroute), _areas_error)
    if again:
        return again
    report, moves = done
    flash(gettext("Wilayah layanan disimpan: %(new)s baru, %(ended)s diakhiri, %(kept)s tetap.",
                  new=len(report.created), ended=len(report.closed), kept=len(report.unchanged)), "ok")
    if apply_reroute:
        flash(gettext("%(n)s aduan terbuka dialihkan ulang.", n=len(moves)), "ok")
    return redirect(url_for("admin.areas"), 303)


# --- boundary generations ------------------------------------------------------------------------------------------

def _boundaries_page(error: DomainError | None = None, form: dict | None = None, status: int = 200):
    rows = admin_city.list_generations(get_session().connection())
    return render_template("admin/boundaries.html", rows=rows, error=error), status


@bp.get("/boundaries")
@require_role(*ADMIN)
def boundaries():
    return _boundaries_page()


@bp.post("/boundaries/<int:generation_id>/activate")
@require_role(*ADMIN)
def boundaries_activate(generation_id: int):
    _, again = _change(lambda c: admin_city.activate_generation(c, _actor(), generation_id), _boundaries_page,
                       gettext("Generasi batas diaktifkan."))
    return again or redirect(url_for("admin.boundaries"), 303)
