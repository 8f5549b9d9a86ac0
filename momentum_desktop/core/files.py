"""Writing files so that a crash or a full disk never leaves half a file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .parameters import ParameterError

__all__ = ["check_output_path", "write_atomically"]


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place.

    The file gets the permissions a plain ``open`` would give it (or keeps those of
    the file it replaces). On any error the temporary file is removed and ``path``
    is as it was.

    Raises
    ------
    OSError
        If the folder cannot be written or the disk is full.
    """
    path = Path(path)
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


def check_output_path(text: str | os.PathLike, endings: tuple[str, ...]) -> Path:
    """The file a picture, animation or table is to be written to, checked first.

    Raises
    ------
    ParameterError
        Saying what is wrong: no name, a character or length no file system takes,
        a folder, a folder that does not exist, an ending not in ``endings``, or no
        permission to write there.
    """
    allowed = " or ".join(endings)
    text = os.fspath(text).strip()
    if not text:
        raise ParameterError(f"choose a file name ending in {allowed}")
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
        if path.is_dir():
            raise ParameterError(f"cannot save {path}: it is a folder")
        if not path.parent.is_dir():
            raise ParameterError(f"cannot save {path}: the folder {path.parent} does "
                                 "not exist")
    except OSError as error:
        raise ParameterError(f"cannot save {path}: {error.strerror or error}") from None

    if path.suffix.lower() not in endings:
        raise ParameterError(f"cannot save {path.name!r}: the name must end in {allowed}")
    writable = os.access(path.parent, os.W_OK)
    if not writable or (path.exists() and not os.access(path, os.W_OK)):
        raise ParameterError(f"cannot save {path}: permission denied")
    return path


def _mode_for(path: Path) -> int:
    """The existing file's mode, or 0o666 less the process's umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
