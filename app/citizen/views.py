"""Citizen pages: report by pin, track by code, public map."""
from flask import Blueprint, render_template

bp = Blueprint("citizen", __name__)


@bp.get("/")
def index():
    return render_template("citizen/report.html")


@bp.get("/lacak")
def track_form():
    return render_template("citizen/report.html")


@bp.get("/peta")
def public_map():
    return render_template("citizen/report.html")
