"""People, login sessions, API tokens and CSRF: who is acting on the gateway."""
