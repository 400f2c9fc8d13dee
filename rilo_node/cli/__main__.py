"""`python -m rilo_node.cli`: the same as the rilo-node command."""

import sys

from rilo_node.cli.main import main

sys.exit(main())
