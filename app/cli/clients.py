"""CLI commands: API clients."""
COMMANDS: list = []
