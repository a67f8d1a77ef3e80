import sys

from fpgasnn.cli import main

sys.exit(main())
