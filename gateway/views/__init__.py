"""Views of combined data: actor and parameters in, service calls in parallel, a typed model out."""
