"""Field teams: nearby tickets and the ticket workflow."""
from flask import Blueprint

bp = Blueprint("field", __name__)
