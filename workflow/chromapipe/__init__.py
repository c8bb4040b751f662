"""chromapipe: physical features of Hi-C 3D chromosome structures.

A port of the chromApipe Nextflow pipeline. The science lives here, as small
pure functions over arrays and frames; the Snakemake rules under ``workflow/``
and the ``chromapipe`` command only wire them together.
"""

import os

#: The package's version: pyproject.toml's (a test keeps the two and the installed metadata equal). A literal,
#: not importlib.metadata's lookup: 15 ms in every job, 80 ms (its import) in a process without polars.
__version__ = "0.1.0"

#: The repository the package comes from (``workflow/chromapipe`` -> the clone's root): its profiles,
#: config and the workflow's own files (an editable install of a clone, as ``make install`` makes it).
REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from .errors import ChromapipeError, InputError  # noqa: E402

__all__ = ["REPOSITORY", "ChromapipeError", "InputError", "__version__"]
