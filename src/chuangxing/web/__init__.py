"""The web application: pages in Chinese, the JSON API, sign-in, static files.

::

    views/        pages: one module per domain, templates/<domain>/<view>.html
    api/          the JSON API: the same data the pages show
    tables.py     the official table layout of a rubric (rows and rowspans), shared by page and exports
    middleware.py sign-in required everywhere; the API answers 401 in JSON instead of a redirect
    serve.py      the demo server: migrate, demo admin, waitress
"""
