"""``python -m generator``: the same command line as ``generator``."""

from .cli import main

raise SystemExit(main())
