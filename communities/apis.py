"""DRF endpoints of Communities: one APIView per operation (STYLE.md §2)."""
