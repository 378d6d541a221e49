"""Planner pages: layers, performance, exports."""
