import sys

from devtools.security.run import main

sys.exit(main())
