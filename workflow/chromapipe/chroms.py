"""Chromosome names.

A GSDB bin map numbers chromosomes: the autosomes, then X, Y and MT (human:
23 = X, 24 = Y, 25 = MT; mouse, 19 autosomes: 20 = X, 21 = Y, 22 = MT). FASTA
and GTF files say ``21`` or ``chr21``; users type either. Internally a
chromosome is its canonical name: ``"1"`` … ``"22"`` (``"19"`` for mouse),
``"X"``, ``"Y"``, ``"MT"``. ``autosomes`` is the species' count (22 human,
19 mouse); it only decides what a number past the autosomes means.
"""

from .errors import InputError

#: Autosomes of a human genome: the default everywhere.
HUMAN = 22
_SEX_AND_MT = ("X", "Y", "MT")
_ALIASES = {"M": "MT", "MT": "MT", "X": "X", "Y": "Y"}


def canonical(value, autosomes=HUMAN):
    """Return the canonical name of a chromosome.

    Parameters
    ----------
    value : str or int
        ``21``, ``"21"``, ``"chr21"``, ``"X"``, ``"chrX"``, ``"23"``, ``"chrM"`` …
    autosomes : int
        The species' autosome count: numbers ``autosomes + 1 .. + 3`` are X, Y, MT.

    Returns
    -------
    str
        ``"1"`` … ``str(autosomes)``, ``"X"``, ``"Y"`` or ``"MT"``.

    Raises
    ------
    InputError
        When the value names no chromosome of the species.
    """
    text = str(value).strip()
    bare = text[3:] if text.lower().startswith("chr") else text
    upper = bare.upper()
    if upper in _ALIASES:
        return _ALIASES[upper]
    if bare.isdigit():
        number = int(bare)
        if 1 <= number <= autosomes:
            return str(number)
        if autosomes < number <= autosomes + 3:
            return _SEX_AND_MT[number - autosomes - 1]
    species = "human chromosome" if autosomes == HUMAN else f"chromosome of a genome with {autosomes} autosomes"
    raise InputError(
        f"{value!r} is not a {species}: expected 1-{autosomes}, X, Y or MT "
        f"(optionally prefixed with 'chr'; {autosomes + 1} = X, {autosomes + 2} = Y, {autosomes + 3} = MT)"
    )


def number(name, autosomes=HUMAN):
    """Return the GSDB number of a chromosome (human ``"X"`` -> 23), as the original's ``chr`` column."""
    name = canonical(name, autosomes)
    return autosomes + 1 + _SEX_AND_MT.index(name) if name in _SEX_AND_MT else int(name)


def candidates(name):
    """Names under which a reference file may store chromosome ``name``.

    ``"21"`` -> ``["21", "chr21"]``; ``"MT"`` -> ``["MT", "chrMT", "M", "chrM"]``.
    """
    name = canonical(name)
    names = [name, f"chr{name}"]
    if name == "MT":
        names += ["M", "chrM"]
    return names
