"""``python -m beknopt``: the same as the ``beknopt`` command."""

from beknopt.cli import main

raise SystemExit(main())
