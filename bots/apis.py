"""DRF endpoints of Bots: one APIView per operation (STYLE.md §2)."""
