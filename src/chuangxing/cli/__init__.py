"""The command line, ``chuangxing``: rubrics (list, check, show, diff, export), scoring, the demo server.

Output is Chinese for people (``--json`` for programs); exit status 0 when all is well, 1 when the
rubric or the findings are refused, 2 for a command used wrongly. ``-v`` also logs errors in English
on stderr. See ``chuangxing --help``.
"""
