"""One small typed client per service, sharing the gateway's way of calling them."""
