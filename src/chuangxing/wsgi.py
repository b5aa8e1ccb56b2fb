"""The WSGI application, for waitress (``chuangxing.web.serve``) or any WSGI server::

    waitress-serve --listen=0.0.0.0:8000 chuangxing.wsgi:application
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")

application = get_wsgi_application()
