"""`python -m tallybot`: the same as the `tallybot` console script."""

import sys

from tallybot.cli import main

sys.exit(main())
