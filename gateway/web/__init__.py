"""The web side: the Flask app, the provider webhooks and the health checks."""
