"""RQ jobs of Affiliates: take ids, reload, stop if stale, call a service (STYLE.md §4)."""
