"""``python -m chuangxing.cli …`` is the same as ``chuangxing …``."""

import sys

from chuangxing.cli.main import main

sys.exit(main())
