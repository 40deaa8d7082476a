import sys

from devtools.reliability.run import main

sys.exit(main())
