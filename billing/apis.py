"""DRF endpoints of Billing: one APIView per operation (STYLE.md §2)."""
