"""Animations, data and the session inside a PNG: what an explainer writer takes away."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from momentum_desktop.core.session_file import load_session
from momentum_desktop.core.animation import AnimationSettings


def read_frames(path) -> np.ndarray:
    import imageio.v3 as iio

    return iio.imread(path, index=None)[..., :3]


def mp4_frames_and_size(path) -> tuple[int, tuple[int, int]]:
    """Frame count and size as ffmpeg itself reports them (run to completion)."""
    import re
    import subprocess

    import imageio_ffmpeg

    count, _ = imageio_ffmpeg.count_frames_and_secs(str(path))
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(path)],
                           capture_output=True, text=True)
    width, height = re.search(r"Video: h264.*?, (\d+)x(\d+)", probe.stderr).groups()
    return count, (int(width), int(height))


@pytest.mark.parametrize("name", ["lesson.gif", "lesson.mp4"])
def test_an_animation_is_written_with_the_chosen_size_and_frames(window, qtbot, tmp_path,
                                                                 name):
    path = tmp_path / name
    settings = AnimationSettings(fps=10, steps_per_frame=6, width=320, height=200,
                                 hold_seconds=0.5)
    with qtbot.waitSignal(window.animation_exported, timeout=60_000):
        assert window.export_animation(str(path), settings)

    expected = settings.frame_count(60)
    assert expected == 60 // 6 + 1 + 5
    if name.endswith(".mp4"):
        assert mp4_frames_and_size(path) == (expected, (320, 200))
    else:
        frames = read_frames(path)
        assert frames.shape[1:] == (200, 320, 3)
        # Pillow merges the identical frames of the final hold into one longer frame.
        assert len(frames) == 60 // 6 + 1
        assert gif_seconds(path) == pytest.approx(expected / settings.fps, abs=0.05)
        # The paths grow: the last frame differs from the first.
        assert np.abs(frames[-1].astype(int) - frames[0].astype(int)).mean() > 0.5
    assert [p.name for p in tmp_path.iterdir()] == [name]


def gif_seconds(path) -> float:
    from PIL import Image

    with Image.open(path) as image:
        total = 0
        for index in range(image.n_frames):
            image.seek(index)
            total += image.info["duration"]
    return total / 1000


def test_cancelling_leaves_no_file_and_keeps_an_earlier_one(window, qtbot, tmp_path):
    path = tmp_path / "kept.gif"
    path.write_bytes(b"an earlier animation")
    settings = AnimationSettings(fps=10, steps_per_frame=1, width=640, height=360)
    assert window.export_animation(str(path), settings)
    qtbot.waitUntil(lambda: bool(window._jobs) and window._jobs[0].frame > 2,
                    timeout=60_000)

    window._jobs[0].cancel()

    assert not window._jobs
    # The encoder lets go of the unfinished file after the cancel, without the
    # window waiting for it.
    qtbot.waitUntil(lambda: [p.name for p in tmp_path.iterdir()] == ["kept.gif"],
                    timeout=10_000)
    assert path.read_bytes() == b"an earlier animation"


@pytest.mark.parametrize(("name", "message"), [
    ("movie.avi", "must end in .gif or .mp4"),
    ("no/folder/movie.gif", "does not exist"),
])
def test_a_bad_animation_path_is_refused_before_anything_runs(window, tmp_path, name,
                                                              message):
    from PySide6.QtWidgets import QMessageBox

    assert not window.export_animation(str(tmp_path / name), AnimationSettings())
    texts = [b.text() for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert any(message in t for t in texts)


def test_data_export_has_every_run_and_step_in_csv_and_json(window, qtbot, tmp_path):
    with qtbot.waitSignal(window.data_exported, timeout=30_000):
        window.export_data(str(tmp_path / "runs.csv"))
    with qtbot.waitSignal(window.data_exported, timeout=30_000):
        window.export_data(str(tmp_path / "runs.json"))

    rows = list(csv.DictReader((tmp_path / "runs.csv").read_text().splitlines()))
    assert len(rows) == 2 * 61
    assert rows[0]["optimizer"] == "gd" and rows[-1]["optimizer"] == "momentum"
    assert json.loads(rows[-1]["hyperparameters"]) == {"lr": 0.036, "momentum": 0.7}
    assert rows[0]["step"] == "0" and rows[-1]["step"] == "60"

    document = json.loads((tmp_path / "runs.json").read_text())
    gd = document["runs"][0]
    assert gd["status"] == "finished after 60 steps" and len(gd["x"]) == 61
    assert float(rows[60]["x"]) == gd["x"][60]


def test_a_png_export_carries_the_session_and_reopens_as_it(window, tmp_path):
    window.edit_session(steps=33, layout="overlay")
    path = tmp_path / "picture.png"
    assert window.export_image(window.canvas, str(path), 600)

    reopened = load_session(path)
    assert reopened.steps == 33 and reopened.layout == "overlay"
    assert reopened.runs == window.session.runs
