"""Field teams: nearby tickets and the ticket workflow."""
