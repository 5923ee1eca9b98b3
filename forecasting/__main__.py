"""`python -m forecasting ...`: the command line (see forecasting.cli)."""

from .cli import main

raise SystemExit(main())
