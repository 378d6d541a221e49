"""The channels a complaint can arrive through; the desk records which one, and the clocks start on receipt."""
from __future__ import annotations

CHANNELS = ("web", "open311", "api", "import", "demo", "phone", "desk")
