"""创星 chuangxing: standardized assessment and star rating of grassroots Party branches.

The pure core (``rubric`` and ``scoring``) imports nothing from Django; the web application,
the command line and the tests all call the same functions.
"""

__version__ = "0.1.0"
