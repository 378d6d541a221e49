"""Planner pages: layers, performance, exports."""
from flask import Blueprint

bp = Blueprint("planner", __name__)
