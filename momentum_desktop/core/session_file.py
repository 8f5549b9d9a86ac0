"""Sessions as TOML files with a schema version, read strictly and written atomically.

A file that is not TOML, misses a field, has a field of the wrong type, comes from a
newer schema or is cut short is refused with a message naming the field and the
problem; nothing of the current session is touched by a refused file.
"""

from __future__ import annotations

import logging
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path

from .files import write_atomically
from .optimizers import OPTIMIZERS
from .parameters import ParameterError
from .session import LAYOUTS, RunConfig, Session, check_session

__all__ = [
    "SCHEMA_VERSION",
    "SessionFileError",
    "load_session",
    "save_session",
    "session_from_toml",
    "session_to_toml",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Raised whenever a field changes meaning; older files stay readable."""

MAX_FILE_BYTES = 1_000_000
"""Largest session file read: a real one is a few kilobytes."""


class SessionFileError(ParameterError):
    """A session file was refused; the message names the field and the problem."""


def session_to_toml(session: Session) -> str:
    """The session as TOML text, schema version first."""
    document: dict = {
        "schema": SCHEMA_VERSION,
        "surface": {"name": session.surface, "params": dict(session.surface_params)},
        "playback": {
            "steps": session.steps,
            "speed": "max" if math.isinf(session.speed) else session.speed,
        },
        "view": {"layout": session.layout},
        "runs": [_run_table(run) for run in session.runs],
    }
    if session.surface == "expression":
        document["surface"]["expression"] = session.expression
    if session.domain is not None:
        document["surface"]["domain"] = list(session.domain)
    if session.start is not None:
        document["start"] = list(session.start)
    if session.view is not None:
        document["view"]["range"] = list(session.view)
    import tomli_w  # here, so that the core imports with numpy alone

    return tomli_w.dumps(document)


def session_from_toml(text: str) -> Session:
    """Read and validate a session.

    Raises
    ------
    SessionFileError
        If the text is not TOML, or a field is missing, of the wrong type or out of
        range, or the schema is newer than this program understands.
    """
    try:
        document = tomllib.loads(text.removeprefix("\ufeff"))  # a BOM some editors add
    except tomllib.TOMLDecodeError as error:
        raise SessionFileError(f"not a valid TOML file: {error}") from None
    except RecursionError:
        raise SessionFileError("not a session file: lists or tables nested too "
                               "deep") from None
    except ValueError as error:  # an integer of thousands of digits, say
        raise SessionFileError(f"not a session file: {error}") from None

    reader = _Reader(document)
    reader.only("", ("schema", "surface", "playback", "view", "runs", "start"))
    reader.only("surface", ("name", "params", "expression", "domain"))
    reader.only("playback", ("steps", "speed"))
    reader.only("view", ("layout", "range"))
    version = reader.integer("schema")
    if version > SCHEMA_VERSION:
        raise SessionFileError(
            f"schema: this file is version {version}, newer than this program reads "
            f"(up to {SCHEMA_VERSION}); update Momentum Desktop to open it"
        )
    if version < 1:
        raise SessionFileError(f"schema: must be 1 or more; got {version}")

    session = Session(
        surface=reader.text("surface.name"),
        surface_params=reader.numbers("surface.params", optional=True),
        expression=reader.text("surface.expression", optional=True) or "",
        domain=reader.point("surface.domain", 4, optional=True),
        start=reader.point("start", 2, optional=True),
        runs=tuple(_run_from(reader, i) for i in range(reader.count("runs"))),
        steps=reader.integer("playback.steps"),
        speed=reader.speed("playback.speed"),
        layout=reader.choice("view.layout", LAYOUTS, optional=True) or "side_by_side",
        view=reader.point("view.range", 4, optional=True),
    )
    try:
        return check_session(session)
    except ParameterError as error:
        raise SessionFileError(str(error)) from None


def save_session(path: Path | str, session: Session) -> None:
    """Write the session to ``path`` atomically: a crash never leaves half a file."""
    write_atomically(Path(path), session_to_toml(session))
    log.info("session saved to %s", path)


def load_session(path: Path | str) -> Session:
    """Read a session from a TOML file, or from the text a PNG export carries.

    Raises
    ------
    SessionFileError
        If the file cannot be read or is refused; the message names the file.
    """
    path = Path(path)
    limit = MAX_FILE_BYTES * (40 if _is_png(path) else 1)
    try:
        if path.exists() and not path.is_file():  # a folder, /dev/zero, a pipe
            raise SessionFileError(f"{path}: not a file")
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise SessionFileError(f"{path}: cannot be read ({error.strerror or error})") \
            from None
    if len(data) > limit:
        raise SessionFileError(f"{path.name}: too large to be a session file")

    if data.startswith(PNG_SIGNATURE):
        text = png_session_text(data)
        if text is None:
            raise SessionFileError(f"{path.name}: this PNG carries no session")
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SessionFileError(f"{path.name}: not a text file (TOML is text)") from None

    try:
        session = session_from_toml(text)
    except SessionFileError as error:
        raise SessionFileError(f"{path.name}: {error}") from None
    log.info("session read from %s", path)
    return session


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_SESSION_KEY = "momentum-desktop-session"
"""The key of the PNG text chunk that carries the session's TOML."""


def png_session_text(data: bytes) -> str | None:
    """The session TOML stored in a PNG's text chunks, or None."""
    import struct
    import zlib

    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"tEXt":
            key, _, value = body.partition(b"\0")
            if key.decode("latin-1") == PNG_SESSION_KEY:
                return value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = body.partition(b"\0")
            if key.decode("latin-1") != PNG_SESSION_KEY or len(rest) < 2:
                continue
            compressed, rest = rest[0], rest[2:]
            _language, _, rest = rest.partition(b"\0")
            _translated, _, value = rest.partition(b"\0")
            try:
                return (_inflate(value) if compressed else value).decode("utf-8")
            except (zlib.error, UnicodeDecodeError):
                return None
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            if key.decode("latin-1") == PNG_SESSION_KEY and rest:
                try:
                    return _inflate(rest[1:]).decode("latin-1")
                except zlib.error:
                    return None
        elif kind == b"IEND":
            break
    return None


def _inflate(data: bytes) -> bytes:
    """Decompress a text chunk, refusing one that grows past MAX_FILE_BYTES (a
    small PNG can carry a chunk that inflates to gigabytes)."""
    import zlib

    inflater = zlib.decompressobj()
    text = inflater.decompress(data, MAX_FILE_BYTES)
    if inflater.unconsumed_tail:
        raise zlib.error("the session text is larger than a session file may be")
    return text


def _is_png(path: Path) -> bool:
    return path.suffix.lower() == ".png"


def _run_table(run: RunConfig) -> dict:
    table: dict = {"optimizer": run.optimizer}
    table["hyperparameters"] = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in run.hyperparameters.items()
    }
    if run.label:
        table["label"] = run.label
    if run.color:
        table["color"] = run.color
    if run.start is not None:
        table["start"] = list(run.start)
    if run.noise:
        table["noise"] = run.noise
        table["seed"] = run.seed
    return table


RUN_FIELDS = ("optimizer", "hyperparameters", "label", "color", "start", "noise", "seed")


def _run_from(reader: _Reader, index: int) -> RunConfig:
    where = f"runs[{index}]"
    reader.only(where, RUN_FIELDS)
    optimizer = reader.choice(f"{where}.optimizer", tuple(OPTIMIZERS))
    return RunConfig(
        optimizer=optimizer,
        hyperparameters=reader.hyperparameters(f"{where}.hyperparameters", optimizer),
        label=reader.text(f"{where}.label", optional=True) or "",
        color=reader.text(f"{where}.color", optional=True) or "",
        start=reader.point(f"{where}.start", 2, optional=True),
        noise=reader.number(f"{where}.noise", optional=True) or 0.0,
        seed=reader.integer(f"{where}.seed", optional=True) or 0,
    )


class _Reader:
    """Typed access to a parsed TOML document by dotted path, with field-named errors."""

    def __init__(self, document: Mapping) -> None:
        self.document = document

    def get(self, path: str, optional: bool = False) -> object:
        value: object = self.document
        for part in _parts(path):
            if isinstance(part, int):
                value = value[part] if isinstance(value, list) and part < len(value) \
                    else None
            elif isinstance(value, Mapping):
                value = value.get(part)
            else:
                value = None
            if value is None:
                break
        if value is None and not optional:
            raise SessionFileError(f"{path}: missing")
        return value

    def text(self, path: str, optional: bool = False) -> str | None:
        value = self.get(path, optional)
        if value is not None and not isinstance(value, str):
            raise self._wrong(path, "text", value)
        return value

    def only(self, path: str, fields: tuple[str, ...]) -> None:
        """Refuse a table at ``path`` with a field not in ``fields`` (a typo, say)."""
        table = self.get(path, optional=True) if path else self.document
        if not isinstance(table, Mapping):
            return
        unknown = [name for name in table if name not in fields]
        if unknown:
            where = f"{path}." if path else ""
            raise SessionFileError(f"{where}{unknown[0]}: not a field of a session "
                                   f"file here; the fields are {', '.join(fields)}")

    def number(self, path: str, optional: bool = False) -> float | None:
        value = self.get(path, optional)
        return None if value is None else _as_float(path, value)

    def integer(self, path: str, optional: bool = False) -> int | None:
        value = self.get(path, optional)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(path, "a whole number", value)
        return value

    def numbers(self, path: str, optional: bool = False) -> dict[str, float]:
        table = self.get(path, optional) or {}
        if not isinstance(table, Mapping):
            raise self._wrong(path, "a table of numbers", table)
        return {name: _as_float(f"{path}.{name}", value) for name, value in table.items()}

    def hyperparameters(self, path: str, optimizer: str) -> dict[str, object]:
        """The run's settings, each read as the kind its optimizer expects."""
        table = self.get(path, optional=True) or {}
        if not isinstance(table, Mapping):
            raise self._wrong(path, "a table", table)
        kinds = {p.name: p.kind for p in OPTIMIZERS[optimizer].hyperparameters}
        values: dict[str, object] = {}
        for name, value in table.items():
            where = f"{path}.{name}"
            kind = kinds.get(name)
            if kind is None:
                raise SessionFileError(f"{where}: {optimizer} has no such setting; it "
                                       f"takes {', '.join(kinds)}")
            if kind == "flag":
                if not isinstance(value, bool):
                    raise self._wrong(where, "true or false", value)
                values[name] = value
            elif kind == "pair":
                values[name] = _as_point(where, value, 2)
            else:
                values[name] = _as_float(where, value)
        return values

    def point(self, path: str, size: int, optional: bool = False) -> tuple | None:
        value = self.get(path, optional)
        return None if value is None else _as_point(path, value, size)

    def speed(self, path: str) -> float:
        value = self.get(path)
        if value == "max":
            return math.inf
        number = self.number(path)
        return number

    def choice(self, path: str, allowed: tuple[str, ...], optional: bool = False) -> str:
        value = self.text(path, optional)
        if value is not None and value not in allowed:
            raise SessionFileError(
                f"{path}: must be one of {', '.join(allowed)}; got {value!r}"
            )
        return value

    def count(self, path: str) -> int:
        value = self.get(path)
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self._wrong(path, "a list of [[runs]] tables", value)
        return len(value)

    @staticmethod
    def _wrong(path: str, expected: str, value: object) -> SessionFileError:
        return _wrong(path, expected, value)


def _wrong(path: str, expected: str, value: object) -> SessionFileError:
    shown = repr(value) if not isinstance(value, int) or abs(value) < 10**30 \
        else "a number of many digits"
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return SessionFileError(f"{path}: must be {expected}; got {shown}")


def _as_float(path: str, value: object) -> float:
    """A TOML number as a float, or SessionFileError naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _wrong(path, "a number", value)
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise _wrong(path, "a number of at most 1e308", value) from None


def _as_point(path: str, value: object, size: int) -> tuple[float, ...]:
    if not isinstance(value, list) or len(value) != size:
        raise _wrong(path, f"a list of {size} numbers", value)
    return tuple(_as_float(path, v) for v in value)


def _parts(path: str) -> list[str | int]:
    """``runs[2].hyperparameters.lr`` -> ['runs', 2, 'hyperparameters', 'lr']."""
    parts: list[str | int] = []
    for piece in path.split("."):
        name, _, index = piece.partition("[")
        parts.append(name)
        if index:
            parts.append(int(index.rstrip("]")))
    return parts
