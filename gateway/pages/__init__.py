"""HTML pages (Jinja2 + htmx): one module per area."""
