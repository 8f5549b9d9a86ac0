"""Session files: a round trip keeps everything; every broken file is refused by name."""

import dataclasses
import re
import math
import tomllib

import tomli_w

import pytest

from momentum_desktop.core.presets import PRESETS, load_preset, preset_path
from momentum_desktop.core.session import RunConfig, default_session, momentum_comparison
from momentum_desktop.core.session_file import (
    SessionFileError,
    load_session,
    png_session_text,
    save_session,
    session_from_toml,
    session_to_toml,
)

FULL = dataclasses.replace(
    momentum_comparison(),
    surface="expression", expression="x^2 + 10*sin(y)", domain=(-3.0, 3.0, -2.0, 2.0),
    start=(1.0, 1.5), speed=math.inf, layout="overlay", view=(-1.0, 2.0, -1.5, 1.5),
    runs=(
        RunConfig("adam", {"lr": 0.01, "betas": (0.8, 0.99), "amsgrad": True},
                  label="Adam, AMSGrad", color="#00ff00", start=(0.5, 0.5),
                  noise=0.25, seed=7),
        RunConfig("momentum", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ),
)


def test_a_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "full.toml"
    save_session(path, FULL)
    assert load_session(path) == FULL
    assert session_from_toml(session_to_toml(default_session())) == default_session()


def test_every_preset_opens_and_the_first_is_the_default_scenario():
    assert len(PRESETS) == 8
    for name in PRESETS:
        assert load_preset(name).runs
    assert load_preset("valley-gd-vs-momentum") == default_session()
    assert load_preset("four-momentum-rates").runs == momentum_comparison().runs
    with pytest.raises(Exception, match="the presets are: valley-gd-vs-momentum"):
        preset_path("nope")


GOOD = session_to_toml(default_session())
NO_RUNS = tomli_w.dumps({k: v for k, v in tomllib.loads(GOOD).items() if k != "runs"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("this is not toml [", "not a valid TOML file"),
        (GOOD.replace("schema = 1", "schema = 7"), "newer than this program reads"),
        (GOOD.replace("schema = 1", "schema = \"one\""), "schema: must be a whole number"),
        (GOOD.replace("steps = 60", "steps = \"60\""), "playback.steps: must be a whole number"),
        (GOOD.replace("steps = 60\n", ""), "playback.steps: missing"),
        (GOOD.replace('name = "valley"', 'name = "banana"'), "unknown surface 'banana'"),
        (GOOD.replace('optimizer = "gd"', 'optimizer = "sgd"'),
         "runs[0].optimizer: must be one of gd, momentum"),
        (GOOD.replace("lr = 0.036", "lr = -1.0", 1), "learning rate must be a number >= 0"),
        (GOOD.replace("lr = 0.036", "lr = \"fast\"", 1),
         "runs[0].hyperparameters.lr: must be a number"),
        (GOOD.replace('layout = "side_by_side"', 'layout = "stacked"'),
         "view.layout: must be one of side_by_side, overlay"),
        (NO_RUNS, "runs: missing"),
        ("", "schema: missing"),
        ("schema = 1\nx = " + "[" * 5000 + "]" * 5000, "nested too deep"),
        (GOOD.replace("steps = 60", "steps = " + "9" * 5000), "not a session file"),
        (GOOD.replace("lr = 0.036", "lr = " + "9" * 4000, 1),
         "must be a number of at most 1e308"),
        (GOOD.replace("lr = 0.036", '"lr[x" = 1', 1), "gd has no such setting"),
        (GOOD.replace("[view]", "[view]\ncolour = 3"), "view.colour: not a field"),
        (GOOD.replace('optimizer = "gd",', 'optimizer = "gd", lable = "a",'),
         "runs[0].lable: not a field"),
        (GOOD.replace("momentum = 0.7 }", 'momentum = 0.7, nesterov = "yes" }'),
         "nesterov: must be true or false"),
        ("\ufeff" + GOOD, None),  # a byte order mark some editors write is fine
    ],
)
def test_broken_files_are_refused_with_the_field_and_problem(text, message):
    if message is None:
        assert session_from_toml(text) == session_from_toml(GOOD)
        return
    with pytest.raises(SessionFileError, match=re.escape(message)):
        session_from_toml(text)


def test_a_truncated_file_is_refused(tmp_path):
    text = session_to_toml(FULL)
    for cut in (len(text) // 3, len(text) // 2, len(text) - 5):
        path = tmp_path / "cut.toml"
        path.write_text(text[:cut])
        with pytest.raises(SessionFileError, match="cut.toml: "):
            load_session(path)


def test_files_that_are_not_sessions_are_refused_by_name(tmp_path):
    binary = tmp_path / "image.toml"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    with pytest.raises(SessionFileError, match="image.toml: not a text file"):
        load_session(binary)
    with pytest.raises(SessionFileError, match="cannot be read"):
        load_session(tmp_path / "missing.toml")
    plain_png = tmp_path / "plain.png"
    plain_png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0\0\0\0IEND\xaeB`\x82")
    with pytest.raises(SessionFileError, match="carries no session"):
        load_session(plain_png)


def test_saving_never_leaves_half_a_file(tmp_path, monkeypatch):
    import os

    path = tmp_path / "s.toml"
    save_session(path, default_session())
    before = path.read_text()

    def crash(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        save_session(path, FULL)
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.toml"]


def test_png_text_chunks_are_read():
    import struct
    import zlib

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body))

    text = session_to_toml(default_session())
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"iTXt", b"momentum-desktop-session\0\0\0\0\0"
                                        + text.encode()) + chunk(b"IEND", b""))
    assert png_session_text(png) == text


def test_devices_pipes_and_inflating_pngs_are_refused_without_reading_them(tmp_path):
    import os
    import zlib

    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)
    with pytest.raises(SessionFileError, match="not a file"):
        load_session(pipe)  # reading it would wait forever
    with pytest.raises(SessionFileError, match="not a file"):
        load_session("/dev/zero")  # reading it would never end

    # 400 MB of text in a PNG chunk of a few hundred kilobytes.
    bomb = zlib.compress(b" " * 400_000_000, 9)
    chunk = b"momentum-desktop-session\0\0" + bomb
    png = (b"\x89PNG\r\n\x1a\n" + len(chunk).to_bytes(4, "big") + b"zTXt" + chunk
           + b"\0\0\0\0" + b"\0\0\0\0IEND\0\0\0\0")
    path = tmp_path / "bomb.png"
    path.write_bytes(png)
    with pytest.raises(SessionFileError, match="carries no session"):
        load_session(path)
