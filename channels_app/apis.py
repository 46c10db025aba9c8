"""DRF endpoints of Channels: one APIView per operation (STYLE.md §2)."""
