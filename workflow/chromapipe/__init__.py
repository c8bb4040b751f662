"""chromapipe: physical features of Hi-C 3D chromosome structures.

A port of the chromApipe Nextflow pipeline. The science lives here, as small
pure functions over arrays and frames; the Snakemake rules under ``workflow/``
and the ``chromapipe`` command only wire them together.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("chromapipe")
except PackageNotFoundError:  # imported from the workflow sources, not installed
    __version__ = "0.1.0"

from .errors import ChromapipeError, InputError

__all__ = ["ChromapipeError", "InputError", "__version__"]
