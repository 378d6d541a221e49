"""CLI commands (complaints)."""
COMMANDS: list = []
