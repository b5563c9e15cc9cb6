"""``python -m sk_implicit``: the command-line main job, see :mod:`sk_implicit.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
