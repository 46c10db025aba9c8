"""HTML/HTMX views of Channels: read input, check access, call a selector or service, render."""
