"""Trajectories against ones computed once with the real torch.optim, stored as data.

tests/data/make_torch_reference.py regenerates the data (it needs torch; these tests
do not).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from momentum_desktop.core.simulation import RunSpec
from momentum_desktop.core.surfaces import make_surface
from momentum_desktop.core.trajectory import record

DATA = json.loads((Path(__file__).parents[1] / "data" / "torch_reference.json").read_text())
CASES = DATA["cases"]


def case_id(case: dict) -> str:
    options = ",".join(f"{k}={v}" for k, v in case["hyperparameters"].items())
    return f"{case['surface']}-{case['optimizer']}-{options}"


def test_every_surface_and_optimizer_is_covered():
    assert {c["surface"] for c in CASES} == set(__import__(
        "momentum_desktop.core.surfaces", fromlist=["SURFACES"]).SURFACES)
    assert {c["optimizer"] for c in CASES} == {
        "gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_trajectory_agrees_with_torch_optim_to_1e_9(case):
    hyper = {k: tuple(v) if isinstance(v, list) else v
             for k, v in case["hyperparameters"].items()}
    run = RunSpec(case["optimizer"], hyper, tuple(case["start"]))
    (trajectory,) = record(make_surface(case["surface"]), [run], case["steps"],
                           tolerance=0.0)

    expected = np.array(case["trajectory"])
    ours = np.column_stack([trajectory.positions, trajectory.losses])
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours[:, :2], expected[:, :2], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ours[:, 2], expected[:, 2], rtol=1e-9, atol=1e-12)
