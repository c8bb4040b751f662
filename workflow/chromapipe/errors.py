"""The package's own error types.

Every problem with a user's input raises :class:`InputError` (or another
subclass of :class:`ChromapipeError`) with a message that names the file, the
line or key, and what was expected. The command line turns these into a
one-paragraph message and exit status 2.
"""


class ChromapipeError(Exception):
    """Base class of every error chromapipe raises on purpose."""


class InputError(ChromapipeError, ValueError):
    """An input file, value or combination of settings is not usable.

    Parameters
    ----------
    message : str
        What is wrong and, where it helps, how to fix it.
    path : str or os.PathLike, optional
        The file concerned; prefixed to the message.
    line : int, optional
        1-based line number in ``path``.
    """

    def __init__(self, message, path=None, line=None):
        where = ""
        if path is not None:
            where = f"{path}"
            if line is not None:
                where += f", line {line}"
            where += ": "
        super().__init__(where + message)
        self.message = message
        self.path = path
        self.line = line


class AssemblyMismatch(InputError):
    """An input (a track) reaches past the bin map's chromosome: it is on another assembly than the bin map."""


class BeadMismatch(InputError):
    """The structure's beads and the bead map (or the bins) do not pair one to one."""
