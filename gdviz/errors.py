"""The one exception gdviz raises for bad input, with a message meant for people."""


class GdvizError(ValueError):
    """Bad input: a value, file or option gdviz cannot use. The message is one line naming it."""


class GdvizTypeError(GdvizError, TypeError):
    """Bad input of the wrong kind (a string where a number belongs): both a `GdvizError` and,
    as Python's own calls would raise, a `TypeError`."""
