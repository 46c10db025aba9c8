"""HTML/HTMX views of Chat: read input, check access, call a selector or service, render."""
