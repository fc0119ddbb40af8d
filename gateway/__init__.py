"""Bansō gateway: the only public entry (HTMX pages and the combined JSON API)."""
