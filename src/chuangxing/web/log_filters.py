"""Logging filters named in ``settings.LOGGING``.

>>> import logging
>>> record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Forbidden (Permission denied): %s",
...                            ("/cycles/",), (PermissionError, PermissionError("no"), None))
>>> record.status_code = 403
>>> OneLineClientErrors().filter(record), record.exc_info
(True, None)
"""

from __future__ import annotations

import logging


class OneLineClientErrors(logging.Filter):
    """A refused request (4xx: a 403 for a user without the role, a 400 for a bad request) is logged as Django's
    one line ("Forbidden (Permission denied): /cycles/") without the traceback of the exception that refused it:
    the refusal is the application working, not a fault. Server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
