"""``python -m pdeopt``: the ``pdeopt`` command."""
import sys

from pdeopt.cli import main

if __name__ == "__main__":  # importing this module (doctest collection) runs nothing
    sys.exit(main())
