"""CLI commands (staff)."""
COMMANDS: list = []
