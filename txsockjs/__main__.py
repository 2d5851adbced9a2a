"""``python -m txsockjs``: the command line (its body is :mod:`txsockjs.cli.main`)."""

import sys

from txsockjs.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
