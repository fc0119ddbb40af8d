"""Support-cases service: companion support (伴走型支援) from application to report."""
