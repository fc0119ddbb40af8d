"""Shared kernel: infrastructure every Bansō app needs once. Nothing domain-specific lives here."""
