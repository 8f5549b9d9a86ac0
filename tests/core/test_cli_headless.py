"""``momentum-desktop run`` and ``list``: headless, checked against torch.optim's paths."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from momentum_desktop.cli import main

CASES = json.loads(
    (Path(__file__).parents[1] / "data" / "torch_reference.json").read_text()
)["cases"]


def cli_arguments(case: dict) -> list[str]:
    args = ["run", "--surface", case["surface"], "--optimizer", case["optimizer"],
            "--start=" + ",".join(repr(v) for v in case["start"]),
            "--steps", str(case["steps"])]
    for name, value in case["hyperparameters"].items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, list):
            args.append(f"{flag}=" + ",".join(repr(v) for v in value))
        else:
            args.append(f"{flag}={value!r}")
    return args


@pytest.mark.parametrize("case", CASES[::3], ids=lambda c: f"{c['surface']}-{c['optimizer']}")
def test_cli_csv_agrees_with_torch_optim(case, capsys):
    assert main(cli_arguments(case)) == 0
    captured = capsys.readouterr()

    rows = list(csv.reader(io.StringIO(captured.out)))
    assert rows[0] == ["step", "x", "y", "loss"]
    table = np.array(rows[1:], dtype=float)
    count = len(table)
    assert table[:, 0].tolist() == list(range(count))
    np.testing.assert_allclose(table[:, 1:], np.array(case["trajectory"])[:count],
                               rtol=1e-9, atol=1e-12)
    # A run stops early only when it has converged (gradient and step below 1e-8).
    if count == case["steps"] + 1:
        assert captured.err.strip().endswith(f"finished after {case['steps']} steps")
    else:
        assert captured.err.strip().endswith(f"converged at step {count - 1}")


def test_csv_keeps_full_float64_precision(capsys):
    main(["run", "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.01",
          "--steps", "5"])
    last = capsys.readouterr().out.strip().splitlines()[-1].split(",")
    assert all(float(repr(float(v))) == float(v) for v in last[1:])
    assert len(last[1].lstrip("-")) > 15


def test_json_output_to_a_file(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["run", "--expression", "x^2 + 10*sin(y)", "--start", "1,1",
                 "--optimizer", "momentum", "--lr", "0.01", "--nesterov", "--steps", "4",
                 "--format", "json", "--output", str(out)]) == 0

    document = json.loads(out.read_text())
    assert document["optimizer"] == "momentum"
    assert document["hyperparameters"]["nesterov"] is True
    assert [r["step"] for r in document["trajectory"]] == [0, 1, 2, 3, 4]
    assert document["trajectory"][0] == {"step": 0, "x": 1.0, "y": 1.0,
                                         "loss": pytest.approx(1 + 10 * np.sin(1))}
    assert capsys.readouterr().out == ""


def test_surface_parameters_and_noise_with_seed_repeat(capsys):
    args = ["run", "--surface", "valley", "--surface-param", "eigenvalue_across=10",
            "--surface-param", "angle=0", "--optimizer", "momentum", "--lr", "0.02",
            "--noise", "0.3", "--seed", "7", "--steps", "20"]
    main(args)
    first = capsys.readouterr().out
    main(args)
    assert capsys.readouterr().out == first
    main(args[:-4] + ["--seed", "8", "--steps", "20"])
    assert capsys.readouterr().out != first


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--lr", "-1"], "--lr: learning rate must be a number >= 0; got '-1'"),
        (["run", "--optimizer", "momentum", "--momentum", "1"], "in [0, 1); got '1'"),
        (["run", "--optimizer", "gd", "--alpha", "0.5"], "--alpha does not apply to gd"),
        (["run", "--optimizer", "nesterov", "--momentum", "0"], "Nesterov momentum needs"),
        (["run", "--optimizer", "adam", "--betas", "0.9"], "like 0.9,0.999"),
        (["run", "--optimizer", "adam", "--eps", "nan"], "eps must be a number >= 0"),
        (["run", "--steps", "0"], "--steps: number of steps must be a whole number"),
        (["run", "--start", "99,0"], "outside the surface's domain"),
        (["run", "--expression", "log(x) + y^2", "--start=-1,1"],
         "the surface is undefined at the start (-1, 1)"),
        (["run", "--start", "a,b"], "--start takes 2 finite numbers"),
        (["run", "--surface", "banana"], "invalid choice: 'banana'"),
        (["run", "--expression", "__import__('os')"], "is not a function that may be"),
        (["run", "--expression", "x", "--domain", "1,0,0,1"], "x min < x max"),
        (["run", "--surface-param", "c=1"], "no parameter 'c'"),
        (["run", "--surface-param", "b"], "--surface-param takes NAME=VALUE"),
        (["run", "--noise", "-0.1"], "--noise: gradient noise must be"),
        (["run", "--output", "/no/such/dir/out.csv"], "does not exist"),
        (["run", "--output", "."], "it is a folder"),
        (["run", "--output", "/dev/null"], "not a regular file"),
        (["run", "--play"], "unrecognized arguments"),
        (["run", "--start", "-1,2"], "needs '=', as in --start=-1.5,2"),
        (["run", "--expression", "x", "--domain", "-1,1,-1,1"],
         "needs '=', as in --domain=-1,1,-1,1"),
        (["run", "--optimizer", "nesterov", "--dampening", "0.1"],
         "dampening must be exactly 0"),
        (["export", "--size", "100", "--gif", "x.gif"], "--size takes WIDTHxHEIGHT"),
        (["export", "", "--csv", "x.csv"], "an empty name is neither a session file"),
        (["export", "--png", "x.png", "--gif", "x.gif", "--steps", "6000",
          "--steps-per-frame", "1"], "would have 6,021 frames; at most 5,000"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(args, message, capsys,
                                                              tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as leaving:
        main(args)
    captured = capsys.readouterr()

    assert leaving.value.code == 2
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert message in captured.err
    assert list(tmp_path.iterdir()) == []


def test_list_names_every_surface_and_optimizer_with_defaults(capsys):
    assert main(["list", "--json"]) == 0
    catalogue = json.loads(capsys.readouterr().out)

    surfaces = {s["name"]: s for s in catalogue["surfaces"]}
    assert len(surfaces) == 12
    assert surfaces["himmelblau"]["minima"][0] == {"x": 3.0, "y": 2.0, "value": 0.0}
    assert surfaces["rosenbrock"]["domain"] == {"x_min": -2.0, "x_max": 2.0,
                                                "y_min": -1.0, "y_max": 3.0}
    optimizers = {o["name"]: o for o in catalogue["optimizers"]}
    adam = {p["name"]: p["default"] for p in optimizers["adam"]["hyperparameters"]}
    assert adam == {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0,
                    "amsgrad": False}

    assert surfaces["valley"]["learning_rate"] == 0.036  # typed by people: rounded

    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "goldstein_price" in text and "--initial-accumulator-value" in text
    assert "--betas default 0.9,0.999 (two numbers" in text  # as the flag takes them
    assert "--nesterov (a flag, off unless given)" in text
    nesterov = text[text.index("  nesterov "):text.index("  adagrad ")]
    assert "--dampening default 0 (exactly 0)" in nesterov


def test_list_into_a_reader_that_stops_early_ends_quietly():
    import subprocess
    import sys

    result = subprocess.run(
        f"'{sys.executable}' -m momentum_desktop list | head -1", shell=True,
        capture_output=True, text=True, timeout=60)

    assert result.stdout.startswith("Surfaces")
    assert result.stderr == ""


@pytest.mark.parametrize("args", [["run", "--steps", "3"], ["list"]])
def test_a_full_standard_output_is_one_line_on_stderr(args):
    import subprocess
    import sys

    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "momentum_desktop", *args],
                                stdout=full, stderr=subprocess.PIPE, text=True,
                                timeout=60)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "momentum-desktop: error: cannot write to standard output: No space left on "
        "device")
    assert "Traceback" not in result.stderr



def test_output_dash_or_dev_stdout_means_standard_output(capsys):
    for target in ("-", "/dev/stdout"):
        assert main(["run", "--steps", "2", "--output", target]) == 0
        assert capsys.readouterr().out.startswith("step,x,y,loss\n0,")
