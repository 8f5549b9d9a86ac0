"""Writing files so that a crash or a full disk never leaves half a file behind."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .parameters import ParameterError

__all__ = ["check_output_path", "write_atomically"]


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    Where ``path`` is a symbolic link, the file it points to is replaced and the
    link kept. Anything that is not a regular file (a device, a pipe) is refused:
    renaming over it would replace it.

    The file gets the permissions a plain ``open`` would give it (or keeps those of
    the file it replaces). On any error the temporary file is removed and ``path``
    is as it was.

    Raises
    ------
    OSError
        If the folder cannot be written, the disk is full, or ``path`` is not a
        regular file.
    """
    path = _target(Path(path))
    if path.exists() and not path.is_file():
        raise OSError(errno.EINVAL, "not a regular file", str(path))

    payload = data.encode() if isinstance(data, str) else data
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:50]}.",
                                         suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def check_output_path(text: str | os.PathLike,
                      endings: tuple[str, ...] | None) -> Path:
    """The file a picture, animation or table is to be written to, checked first.

    ``endings`` lists the allowed file name endings; None allows any.

    Raises
    ------
    ParameterError
        Saying what is wrong: no name, a character or length no file system takes,
        a folder, a device or pipe, a folder that does not exist, an ending not in
        ``endings``, or no permission to write there.
    """
    allowed = " or ".join(endings or ())
    text = os.fspath(text).strip()
    if not text:
        raise ParameterError(f"choose a file name ending in {allowed}" if endings
                             else "choose a file name")
    if "\0" in text:
        raise ParameterError("the file name contains a NUL character, which no file "
                             "system allows")
    if text.endswith(("/", os.sep)):
        raise ParameterError(f"cannot save {text}: it names a folder; add a file name")

    path = Path(text).expanduser()
    if len(path.name.encode()) > 255:
        raise ParameterError(f"cannot save {path.name[:40]}...: the file name is longer "
                             "than the 255 bytes file systems allow")
    try:
        target = _target(path)
        if target.is_dir():
            raise ParameterError(f"cannot save {path}: it is a folder")
        if target.exists() and not target.is_file():
            raise ParameterError(f"cannot save {path}: it is not a regular file (a "
                                 "device or a pipe); choose a file name")
        path = target
        if not path.parent.is_dir():
            raise ParameterError(f"cannot save {path}: the folder {path.parent} does "
                                 "not exist")
    except OSError as error:
        raise ParameterError(f"cannot save {path}: {error.strerror or error}") from None

    if endings is not None and path.suffix.lower() not in endings:
        raise ParameterError(f"cannot save {path.name!r}: the name must end in {allowed}")
    writable = os.access(path.parent, os.W_OK)
    if not writable or (path.exists() and not os.access(path, os.W_OK)):
        raise ParameterError(f"cannot save {path}: permission denied")
    return path


def _target(path: Path) -> Path:
    """The file ``path`` names, following symbolic links (even a dangling one)."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _mode_for(path: Path) -> int:
    """The existing file's mode, or 0o666 less the process's umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
