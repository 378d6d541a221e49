"""Citizen pages: report by pin, track by code, public map."""
