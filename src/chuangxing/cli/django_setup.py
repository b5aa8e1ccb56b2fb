"""Django for the commands that read or write the database (demo, import, template, report)."""

from __future__ import annotations

import logging
import os


def setup_django() -> None:
    """Set Django up once, from ``DJANGO_SETTINGS_MODULE`` (default ``chuangxing.settings``) and ``DATABASE_URL``.

    The settings' ``LOGGING`` would print English INFO lines on every command; the command line's own
    choice (silent, or ``-v``) is kept instead.
    """
    from django.apps import apps

    if apps.ready:
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django

    logger = logging.getLogger("chuangxing")
    level, handlers = logger.level, list(logger.handlers)
    django.setup()
    logger.setLevel(level)
    logger.handlers[:] = handlers
    logger.propagate = False    # the settings gave the root logger a console handler too
