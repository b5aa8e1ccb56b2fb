"""Pages, one module per domain; each view renders ``templates/<domain>/<view>.html``."""
