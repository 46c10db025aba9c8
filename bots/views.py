"""HTML/HTMX views of Bots: read input, check access, call a selector or service, render."""
