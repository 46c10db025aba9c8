"""RQ jobs of Bots: take ids, reload, stop if stale, call a service (STYLE.md §4)."""
