"""Open311 GeoReport v2, XML and JSON."""
from flask import Blueprint

bp = Blueprint("open311", __name__)
