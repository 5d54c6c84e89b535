"""``python -m ternsig``: the same as the ``ternsig`` command."""
import sys

from .cli import main

sys.exit(main())
