"""``python -m skvitalroute compare ...``: the same as the ``skvitalroute`` command."""

import sys

from skvitalroute.compare._cli import main

if __name__ == "__main__":
    sys.exit(main())
