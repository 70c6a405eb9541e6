import sys

from pdeopt.cli import main

sys.exit(main())
