"""Training service: programs, sessions, registrations, attendance, targets, 工程表."""
