"""Chromosome names.

The GSDB bin map numbers chromosomes (23 = X, 24 = Y, 25 = MT); FASTA and GTF
files say ``21`` or ``chr21``; users type either. Internally a chromosome is its
canonical name: ``"1"`` … ``"22"``, ``"X"``, ``"Y"``, ``"MT"``.
"""

from .errors import InputError

_NUMBER_TO_NAME = {23: "X", 24: "Y", 25: "MT"}
_NAME_TO_NUMBER = {"X": 23, "Y": 24, "MT": 25}
_ALIASES = {"M": "MT", "MT": "MT", "X": "X", "Y": "Y"}


def canonical(value):
    """Return the canonical name of a chromosome.

    Parameters
    ----------
    value : str or int
        ``21``, ``"21"``, ``"chr21"``, ``"X"``, ``"chrX"``, ``"23"``, ``"chrM"`` …

    Returns
    -------
    str
        ``"1"`` … ``"22"``, ``"X"``, ``"Y"`` or ``"MT"``.

    Raises
    ------
    InputError
        When the value names no human chromosome.
    """
    text = str(value).strip()
    bare = text[3:] if text.lower().startswith("chr") else text
    upper = bare.upper()
    if upper in _ALIASES:
        return _ALIASES[upper]
    if bare.isdigit():
        number = int(bare)
        if 1 <= number <= 22:
            return str(number)
        if number in _NUMBER_TO_NAME:
            return _NUMBER_TO_NAME[number]
    raise InputError(
        f"{value!r} is not a human chromosome: expected 1-22, X, Y or MT "
        "(optionally prefixed with 'chr'; 23 = X, 24 = Y, 25 = MT)"
    )


def number(name):
    """Return the GSDB number of a chromosome (``"X"`` -> 23), as the original's ``chr`` column."""
    name = canonical(name)
    return _NAME_TO_NUMBER.get(name, None) or int(name)


def candidates(name):
    """Names under which a reference file may store chromosome ``name``.

    ``"21"`` -> ``["21", "chr21"]``; ``"MT"`` -> ``["MT", "chrMT", "M", "chrM"]``.
    """
    name = canonical(name)
    names = [name, f"chr{name}"]
    if name == "MT":
        names += ["M", "chrM"]
    return names
