"""The gateway's JSON API (stable, versioned, apart from the HTML pages)."""
