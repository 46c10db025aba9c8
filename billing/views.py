"""HTML/HTMX views of Billing: read input, check access, call a selector or service, render."""
