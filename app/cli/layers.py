"""CLI commands (layers)."""
COMMANDS: list = []
