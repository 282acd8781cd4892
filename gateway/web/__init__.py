"""The Flask side: the app factory, health checks, gunicorn settings, Telegram update glue."""
