"""``python -m chromapipe``: the ``chromapipe`` command (:func:`chromapipe.cli.main`)."""

import sys

from .cli import main

sys.exit(main())
