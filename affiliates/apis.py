"""DRF endpoints of Affiliates: one APIView per operation (STYLE.md §2)."""
