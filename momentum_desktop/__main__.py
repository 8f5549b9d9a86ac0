"""``python -m momentum_desktop``: the same as the ``momentum-desktop`` command."""

import sys

from .cli import main

sys.exit(main())
