"""RQ jobs of Communities: take ids, reload, stop if stale, call a service (STYLE.md §4)."""
