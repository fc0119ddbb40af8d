"""Operational commands: serve, migrate, demo data, tokens."""
