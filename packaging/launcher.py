"""Entry script for the PyInstaller build (see momentum_desktop.spec).

It is the ``momentum-desktop`` console/gui script in file form: PyInstaller needs a
script to start from, and importing the installed package from here (rather than
``python -m momentum_desktop``) keeps the frozen app's ``sys.argv[0]`` and
``--help`` output identical to the pip-installed command.
"""

import sys

from momentum_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
