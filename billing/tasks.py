"""RQ jobs of Billing: take ids, reload, stop if stale, call a service (STYLE.md §4)."""
