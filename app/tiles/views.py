"""Vector tiles from PostGIS (ST_AsMVT)."""
from flask import Blueprint

bp = Blueprint("tiles", __name__)
