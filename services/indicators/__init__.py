"""Indicators service: grant frameworks, scores, results against peers, allocation, PDCA sheets."""
