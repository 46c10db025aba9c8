"""HTML/HTMX views of Communities: read input, check access, call a selector or service, render."""
