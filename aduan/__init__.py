"""Peta Aduan's domain: what a complaint is and how it moves, with no Flask (see README, "Layout")."""
