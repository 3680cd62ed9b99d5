"""The one exception gdviz raises for bad input, with a message meant for people."""


class GdvizError(ValueError):
    """Bad input: a value, file or option gdviz cannot use. The message is one line naming it."""
