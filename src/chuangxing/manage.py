"""Django's manage.py for 创星, as a module::

    python -m chuangxing.manage migrate
    python -m chuangxing.manage createsuperuser
    python -m chuangxing.manage collectstatic --noinput
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 -- reads the environment: a refused value is told, not a traceback
    except ImproperlyConfigured as exc:
        sys.exit(f"配置错误 (configuration error): {exc}")
    execute_from_command_line(argv if argv is not None else sys.argv)


if __name__ == "__main__":
    main()
