"""Widget views: the embed's public endpoints (embed.py) and the creator's dashboard (dashboard.py)."""
