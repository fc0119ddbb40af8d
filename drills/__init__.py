"""Resilience drills: faults and races against the whole system on loopback (`make drill`)."""
