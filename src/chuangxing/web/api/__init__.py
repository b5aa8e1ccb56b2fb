"""The JSON API. Errors are ``{"error": {"code": ..., "message": ...}}`` with a stable code."""
