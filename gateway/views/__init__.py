"""Views of combined data: one module per view. Each takes the actor and parameters, gathers
its service calls in parallel through the typed clients, and returns a typed model that the
JSON route and the HTML page both use (request → view → clients → one template or JSON)."""
