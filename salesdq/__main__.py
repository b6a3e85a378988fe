import sys

from salesdq.cli import main

sys.exit(main())
