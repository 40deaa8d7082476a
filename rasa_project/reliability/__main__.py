import sys

from rasa_project.reliability.run import main

sys.exit(main())
