import sys

from rasa_project.bench.run import main

sys.exit(main())
