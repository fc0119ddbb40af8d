"""Bansō back-end services: indicators, support_cases, training, and their shared kernel."""
