"""The ``gdviz`` command: an interrupt while Python is still importing gdviz ends it quietly."""

from __future__ import annotations

import logging
import os
import signal
import sys

_seen = False  # an interrupt came while importing (its exit may have been swallowed)


def _interrupted_while_starting(signum, frame):
    # Until the command line takes over, an interrupt ends gdviz at once: nothing is written yet.
    global _seen
    if not _seen:
        _seen = True
        sys.stderr.write("gdviz: interrupted; nothing was written\n")
    raise SystemExit(130)


def main() -> int:
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _interrupted_while_starting)
    from gdviz.system.lazy import collector_paused

    with collector_paused():
        from gdviz.cli.commands import main as command_line  # numpy, click and the rest load here

    if _seen:
        # Code being imported can swallow the exit (a C extension clearing every error): the
        # interrupt still ends gdviz here, before anything is written.
        return 130
    return command_line()


def run() -> None:
    """The ``gdviz`` program: `main`, then out without tearing Python down.

    Once the command is over, every file it wrote is closed and renamed into place. Unloading
    torch and matplotlib module by module would cost about 0.4 s of CPU (a fifth of the main
    command's time) for nothing: the streams are flushed and the process ends at once.
    """
    from gdviz.system import lazy

    lazy.PROGRAM = True  # this process is the command's: its imports may be frozen
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (gdviz ... | head): nothing more to say
        pass
    logging.shutdown()
    os._exit(status)


if __name__ == "__main__":
    run()
