"""Generated answer shapes of the services (scripts/client_shapes.py)."""
