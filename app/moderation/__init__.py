"""The complaint desk's moderation: the review queue and what the public sees of one ticket (under /desk)."""
