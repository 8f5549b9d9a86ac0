"""Typed expressions: exact gradients, blank where undefined, nothing ever executed."""

import numpy as np
import pytest

from momentum_desktop.core.expressions import (
    ExpressionError,
    ExpressionSurface,
    check_domain,
    compile_expression,
)
from momentum_desktop.core.parameters import ParameterError
from momentum_desktop.core.simulation import RunSpec, RunState
from momentum_desktop.core.trajectory import record


@pytest.mark.parametrize(
    ("text", "f", "grad"),
    [
        ("x**2 + 10*sin(y)", lambda x, y: x**2 + 10 * np.sin(y),
         lambda x, y: (2 * x, 10 * np.cos(y))),
        ("log(1 + x^2) + y^4", lambda x, y: np.log(1 + x**2) + y**4,
         lambda x, y: (2 * x / (1 + x**2), 4 * y**3)),
        ("x^2*y", lambda x, y: x**2 * y, lambda x, y: (2 * x * y, x**2)),
        ("exp(-x) * tanh(y) + pi", lambda x, y: np.exp(-x) * np.tanh(y) + np.pi,
         lambda x, y: (-np.exp(-x) * np.tanh(y), np.exp(-x) / np.cosh(y) ** 2)),
        ("2^-x + e", lambda x, y: 2.0**-x + np.e + 0 * y,
         lambda x, y: (-np.log(2) * 2.0**-x, 0 * y)),
    ],
)
def test_values_and_gradients_are_exact(text, f, grad):
    surface = ExpressionSurface(text)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-3, 3, 50), rng.uniform(-3, 3, 50)

    np.testing.assert_allclose(surface.value(x, y), f(x, y), rtol=1e-13)
    for ours, exact in zip(surface.gradient(x, y), grad(x, y)):
        np.testing.assert_allclose(ours, exact, rtol=1e-12, atol=1e-14)


def test_caret_is_a_power_with_the_power_precedence():
    assert compile_expression("x^2*y").formula == "x**2*y"
    assert compile_expression("-x^2").formula == "-x**2"


@pytest.mark.parametrize(
    ("text", "pointed_at"),
    [
        ("__import__('os').system('rm -rf /')", "attribute access"),
        ("x.real + y", "attribute access"),
        ("open('f')", "'open' is not a function that may be called"),
        ("foo + x", "unknown name 'foo'"),
        ("x[0]", "indexing"),
        ("(lambda: 1)()", "a lambda is not allowed"),
        ("'text'", "'text' is not a number"),
        ("x if y else 1", "if / else"),
        ("x, y", "a comma"),
        ("x == y", "a comparison"),
        ("sin(x, y)", "sin takes 1 argument"),
        ("atan2(y)", "atan2 takes 2 arguments"),
        ("sin", "sin is a function"),
        ("9**9**9", "too large"),
        ("1e999", "too large"),
        ("x % 2", "only the operators"),
        ("x @ y", "only the operators"),
        ("[x for x in y]", "a comprehension"),
        ("x := 2", "cannot be read"),
        ("", "empty"),
        ("x" * 501, "at most 500"),
        ("x \u00d7 y", "position 3 is not allowed"),
        ("x +", "ends with '+': something is missing after it"),
        ("x # a comment", "'#' at position 3 is not allowed"),
        ("()", "empty parentheses"),
        # Exact arithmetic that would run for hours or fill the memory.
        ("x + (1/3)**(10**9)", "exponent is too large; at most 1000"),
        ("2**-(10**10)", "exponent is too large; at most 1000"),
        ("x + (1+1/10**300)**(10**300)", "exponent is too large; at most 1000"),
        ("x + 2**-20000", "exponent is too large; at most 1000"),
        # What sympy knows to be infinite everywhere.
        ("1/(x-x)", "infinite or undefined everywhere"),
        ("log(0) + x", "infinite or undefined everywhere"),
        ("x + 1/0", "infinite or undefined everywhere"),
        ("tan(pi/2) * y", "infinite or undefined everywhere"),
    ],
)
def test_everything_outside_the_grammar_is_refused_with_a_pointer(text, pointed_at):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert pointed_at in str(caught.value)


def test_the_message_gives_the_offending_part_and_its_position():
    with pytest.raises(ExpressionError) as caught:
        compile_expression("x**2 + import_me(y)")
    assert str(caught.value).startswith("'import_me(y)' at position 8:")


def test_deep_nesting_is_refused_not_crashed():
    assert compile_expression("(" * 150 + "x" + ")" * 150).formula == "x"
    with pytest.raises(ExpressionError, match="cannot be read"):
        compile_expression("(" * 249 + "x" + ")" * 249)
    with pytest.raises(ExpressionError, match="nested more than"):
        compile_expression("sin(" * 60 + "x" + ")" * 60)


def test_nothing_of_the_text_is_executed(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    monkeypatch.chdir(tmp_path)
    for text in (f"__import__('pathlib').Path('{marker}').touch()",
                 "exec('open(\"ran\", \"w\")')", "eval('1')"):
        with pytest.raises(ExpressionError):
            compile_expression(text)
    assert not marker.exists() and not (tmp_path / "ran").exists()


def test_undefined_points_are_nan_and_a_run_stepping_there_diverges():
    surface = ExpressionSurface("log(x) + y^2", (-1.0, 3.0, -2.0, 2.0))
    values = surface.value(np.array([-0.5, 2.0]), np.array([0.0, 1.0]))
    assert np.isnan(values[0]) and values[1] == pytest.approx(np.log(2) + 1)

    # Gradient descent with a big step jumps from x = 0.5 across x = 0.
    run = RunSpec("gd", {"lr": 1.0}, (0.5, 1.0))
    (trajectory,) = record(surface, [run], 50)
    assert trajectory.status.state is RunState.DIVERGED
    assert trajectory.status.describe() == "diverged at step 1"


def test_the_suggested_start_is_defined_and_inside_the_domain():
    surface = ExpressionSurface("sqrt(x) + y^2", (-4.0, 4.0, -4.0, 4.0))
    x, y = surface.default_start
    assert surface.domain.contains(x, y) and x >= 0
    assert np.isfinite(surface.value(np.array(x), np.array(y)))
    assert surface.default_learning_rate > 0


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ((1, 0, 0, 1), "x min < x max"),
        ((0, 1, 2, 2), "y min < y max"),
        ((0, float("nan"), 0, 1), "finite"),
        ((0, 1e9, 0, 1), "between -1e6 and 1e6"),
        ((0, 1, 2), "four numbers"),
    ],
)
def test_bad_domains_are_refused(domain, message):
    with pytest.raises(ParameterError, match=message):
        check_domain(domain)


def test_huge_exact_numbers_become_floats_numpy_can_take():
    surface = ExpressionSurface("sin(10**300)**2*x + (1/3)**999 * y")
    slope = surface.value(np.array([1.0]), np.array([0.0]))[0]  # f = c x + tiny y
    assert np.isfinite(slope) and 0 <= slope <= 1

    gx, gy = surface.gradient(np.array([1.0]), np.array([2.0]))
    assert gx[0] == pytest.approx(slope) and gy[0] == pytest.approx(3.0**-999)


def test_a_long_flat_sum_is_not_deep_nesting():
    text = " + ".join(f"{k}*x*y" for k in range(1, 41))
    surface = ExpressionSurface(text)
    assert surface.value(np.array([1.0]), np.array([1.0]))[0] == pytest.approx(820)

    with pytest.raises(ExpressionError, match="nested more than 40 deep"):
        compile_expression("sin(" * 41 + "x" + ")" * 41)


def test_an_expression_undefined_on_the_whole_domain_is_refused():
    with pytest.raises(ExpressionError, match="undefined everywhere in the domain"):
        ExpressionSurface("sqrt(-1 - x^2 - y^2)")
    with pytest.raises(ExpressionError, match="undefined everywhere in the domain"):
        ExpressionSurface("exp(10**300) * x")  # infinite wherever it is evaluated
