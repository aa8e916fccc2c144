"""The bundle's entry point: the same dispatcher as the `ella-app` console script."""

import sys

from app.__main__ import main

sys.exit(main())
