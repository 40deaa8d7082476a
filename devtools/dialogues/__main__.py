import sys

from devtools.dialogues.run import main

sys.exit(main())
