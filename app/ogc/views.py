"""OGC API - Features for QGIS and other GIS clients."""
from flask import Blueprint

bp = Blueprint("ogc", __name__)
