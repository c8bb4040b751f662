"""scipy's submodules the package uses, imported without the docstring notes scipy builds at import.

scipy 1.17 decorates hundreds of functions with ``xp_capabilities``, which parses each docstring with
numpydoc's ``FunctionDoc`` and appends a table of the array backends it supports: about 230 parses and
0.15-0.2 s CPU when ``scipy.spatial`` is imported (it brings ``scipy.special``, ``scipy.constants`` and
``scipy.linalg`` with it), more than ``chromapipe physical`` computes on a 1,500-bead structure. No job reads
those docstrings.
"""

import functools
import sys

#: The scipy release whose import :func:`spatial` speeds up (pyproject.toml pins it).
SCIPY_VERSION = "1.17.1"


class _Undocumented:
    """What ``xp_capabilities`` takes for a parsed docstring: its notes are dropped and its text is kept."""

    def __init__(self, func):
        self._doc = func.__doc__ or ""

    def __getitem__(self, section):
        return []  # the section the note is appended to, thrown away

    def __str__(self):
        return "\n" + self._doc  # the decorator drops the first line (the signature numpydoc writes there)


@functools.cache
def spatial():
    """``scipy.spatial``, imported with ``xp_capabilities``' docstring parser swapped for :class:`_Undocumented`.

    The swap holds for this import only and is undone after it; a scipy other than the pinned release, or one
    whose ``_array_api`` lacks the parser, or a ``scipy.spatial`` already imported, imports as usual (the
    functions are the same either way: only docstrings differ). tests/test_physical.py checks that the swap
    takes effect on the pinned release and is undone.

    Returns
    -------
    module
    """
    if "scipy.spatial" in sys.modules:
        return sys.modules["scipy.spatial"]
    import scipy
    from scipy._lib import _array_api

    parser = getattr(_array_api, "FunctionDoc", None)
    skip = scipy.__version__ == SCIPY_VERSION and parser is not None
    if skip:
        _array_api.FunctionDoc = _Undocumented
    try:
        import scipy.spatial
    finally:
        if skip:
            _array_api.FunctionDoc = parser
    return scipy.spatial
