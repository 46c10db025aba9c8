"""HTML/HTMX views of Affiliates: read input, check access, call a selector or service, render."""
