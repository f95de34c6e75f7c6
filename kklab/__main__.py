"""``python -m kklab`` runs the CLI."""

import sys

from kklab.cli import main

sys.exit(main())
