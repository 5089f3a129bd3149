"""``python -m beknopt.cli``: the same as the ``beknopt`` command."""

import sys

from beknopt.cli.app import main

sys.exit(main())
