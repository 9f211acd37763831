"""``python -m generator``: the same command line as ``generator``."""

from generator.cli.main import main

raise SystemExit(main())
