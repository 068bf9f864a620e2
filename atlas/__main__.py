"""`python -m atlas`: the command line (`atlas.cli`)."""

import sys

from atlas.cli import main

sys.exit(main())
