"""DRF endpoints of Chat: one APIView per operation (STYLE.md §2)."""
