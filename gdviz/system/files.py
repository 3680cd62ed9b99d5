"""Writing files whole or not at all: a temporary file beside the target, renamed on success."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from gdviz.errors import GdvizError
from gdviz.system import interrupts


@contextlib.contextmanager
def interrupts_kept() -> Iterator[None]:
    """Within: Ctrl-C stays a KeyboardInterrupt even where a library turns it into another
    error (matplotlib's renderer, interrupted inside C++, raises "ValueError: Invalid bounding
    box"). Nothing changes where SIGINT is ignored or left to the system, or off the main
    thread (where Python allows no handler)."""
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    noted = []

    def note(signum, frame):
        noted.append(signum)
        previous(signum, frame)

    signal.signal(signal.SIGINT, note)
    try:
        yield
    except KeyboardInterrupt:
        raise
    except Exception as exc:
        if noted:
            raise KeyboardInterrupt from exc
        raise
    finally:
        signal.signal(signal.SIGINT, previous)


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, before any work, when ``path`` cannot be written.

    The folder is tried for real (a file made and removed): permission bits do not tell what
    root may do, nor what a read-only or full file system refuses.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GdvizError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise GdvizError(f"cannot write {path}: it is a folder")
    try:
        with interrupts.deferred():  # made and removed whole: an interrupt waits for both
            os.unlink(temporary_file(folder, f".{path.name}.", ".probe"))
    except OSError as exc:
        raise GdvizError(
            f"cannot write {path}: folder {folder} is not writable ({exc.strerror})"
        ) from None
    return path


def temporary_file(folder: str | os.PathLike, prefix: str, suffix: str) -> Path:
    """A new empty file in ``folder``. Call it inside `interrupts.deferred`, the name kept
    there, in a ``try`` that removes the file: an interrupt inside `tempfile.mkstemp` would
    leave a file whose name no one holds; deferred, it comes once the name is held."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(fd)
    return Path(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def clean_leftovers(folder: Path, pattern: str) -> list[Path]:
    """Remove the files of ``folder`` matching ``pattern`` (with ``{pid}`` in its second dot-part)
    that a process no longer alive left behind (a run killed with SIGKILL, a machine that
    stopped); returns what was removed."""
    removed = []
    for leftover in folder.glob(pattern):
        pid = _pid_of(leftover.name)
        if pid is not None and pid != os.getpid() and not _alive(pid):
            with contextlib.suppress(OSError):
                if leftover.is_dir() and not leftover.is_symlink():
                    shutil.rmtree(leftover)
                else:
                    leftover.unlink()
                removed.append(leftover)
    return removed


def _pid_of(name: str) -> int | None:
    match = re.search(r"\.pid(\d+)\.[^.]*(\.[a-z0-9]+)?$", name)  # .pid123.random[.part]
    return int(match[1]) if match else None


def available_memory() -> int | None:
    """Bytes of memory free for a new process's use (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    On any exception, KeyboardInterrupt included, the temporary file is removed and ``path`` is
    left as it was. The file gets the permissions of a normally created file (umask), not 0600.
    """
    path = check_writable(path)
    # The temporary file names its process, so a later run can tell a killed run's leftover
    # (its process gone) from a file another run is writing now, and remove it.
    clean_leftovers(path.parent, f".{glob.escape(path.name)}.pid*.part")
    tmp = None
    try:
        with interrupts.deferred():  # see temporary_file
            tmp = temporary_file(path.parent, f".{path.name}.pid{os.getpid()}.", ".part")
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        raise


class Outputs:
    """The files a command may write, as they were on disk before it began: after an interrupt,
    what was written is told from the disk itself, not from how far the program got."""

    def __init__(self):
        self.clear()

    def clear(self) -> None:
        """Expect nothing (a new command)."""
        self.paths: list[Path] = []
        self.folders: list[Path] = []
        self._before: dict[Path, tuple[int, int] | None] = {}

    def expect(self, path: str | os.PathLike) -> None:
        path = Path(path)
        self.paths.append(path)
        self._before[path] = _stamp(path)

    def expect_folder(self, folder: str | os.PathLike) -> None:
        """Expect any file below ``folder`` (a gallery site): those there now are noted."""
        folder = Path(folder)
        self.folders.append(folder)
        if folder.is_dir():
            for path in folder.rglob("*"):
                self._before[path] = _stamp(path)

    def written(self) -> list[Path]:
        """The expected files that are new or replaced since `expect`."""
        found = [p for f in self.folders if f.is_dir() for p in sorted(f.rglob("*")) if p.is_file()]
        found += [p for p in self.paths if p not in found]
        return [p for p in found if _stamp(p) not in (None, self._before.get(p))]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns
