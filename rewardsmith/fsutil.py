"""Writing files so that a crash never leaves half a file behind, and a write never destroys what a path is.

A regular file is replaced atomically (a temporary file in the same folder, then a rename), with the mode an
existing file had or, for a new file, the mode the umask gives. A symlink is followed: its target is replaced and
the link stays. A FIFO or a character device (``/dev/stdout``, ``/dev/null``) is written through, never replaced;
anything else that is not a regular file (a directory, a socket, a block device) is refused with a message.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from .errors import OutputError
from .redact import redact

__all__ = ["current_umask", "fsync_dir", "write_atomic", "write_bytes_atomic"]


def current_umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # no other way to read it; set it straight back
    os.umask(mask)
    return mask


def fsync_dir(folder: Path) -> None:
    """Make a rename inside `folder` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _target(path: Path) -> Path:
    """Where a write to `path` lands: a symlink's final target, else the path itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write `data` to `path` safely (see the module docstring for what each kind of path gets).

    Raises:
        OutputError: `path` is a directory, a socket, a block device or another special file.
    """
    target = _target(Path(path))
    try:
        info = target.stat()
    except FileNotFoundError:
        info = None
    if info is not None and not stat.S_ISREG(info.st_mode):
        if stat.S_ISFIFO(info.st_mode) or stat.S_ISCHR(info.st_mode):
            with open(target, "wb") as fh:  # written through: a pipe or /dev/stdout stays what it is
                fh.write(data)
            return
        what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise OutputError(f"{path}: {what}; refusing to replace it. Give the path of a file to write.")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~current_umask()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8, ``\\n`` line ends, registered secrets masked) to `path` safely.

    See :func:`write_bytes_atomic` for what each kind of path gets.
    """
    write_bytes_atomic(path, redact(text).encode("utf-8"))
