import math

import pytest

from momentum_desktop.core.parameters import Parameter, ParameterError

RATE = Parameter("momentum", "momentum rate", 0.9, 0.0, 1.0, max_inclusive=False)
LR = Parameter("lr", "learning rate", 0.01, 0.0)
STEPS = Parameter("steps", "number of steps", 10, 1, 1000, integer=True)


def test_allowed_ranges_read_as_intervals():
    assert RATE.allowed() == "a number in [0, 1)"
    assert LR.allowed() == "a number >= 0"
    assert STEPS.allowed() == "a whole number in [1, 1,000]"


@pytest.mark.parametrize("value", [0.0, 0.5, 0.999])
def test_values_inside_the_range_pass(value):
    assert RATE.validate(value) == value


@pytest.mark.parametrize("value", [1.0, -0.1, math.nan, math.inf, "0.5", True, None])
def test_values_outside_the_range_or_not_numbers_are_refused(value):
    with pytest.raises(ParameterError, match=r"momentum rate must be a number in \[0, 1\)"):
        RATE.validate(value)


def test_parse_names_the_bad_text():
    with pytest.raises(ParameterError) as caught:
        LR.parse("abc")
    assert "learning rate must be a number >= 0; got 'abc'" == str(caught.value)


def test_parse_refuses_negative_learning_rate_and_says_what_is_allowed():
    with pytest.raises(ParameterError, match=r"must be a number >= 0; got '-1'$"):
        LR.parse("-1")


def test_messages_quote_what_was_typed_and_huge_numbers_do_not_crash():
    with pytest.raises(ParameterError, match=r"got '1e309'"):
        LR.parse("1e309")
    with pytest.raises(ParameterError, match=r"got '1000000000000"):
        STEPS.parse("1" + "0" * 400)
    assert STEPS.parse("1e2") == 100 and STEPS.parse("100.0") == 100
    assert math.copysign(1.0, LR.parse("-0")) == 1.0


def test_integer_parameters_refuse_fractions_and_zero():
    assert STEPS.parse(" 25 ") == 25
    for text in ("0", "2.5", "1e9"):
        with pytest.raises(ParameterError, match="whole number"):
            STEPS.parse(text)


@pytest.mark.parametrize("text", ["\uff11", "1_0", "\u0663", "0x10", " 1 2", "1e"])
def test_only_plain_ascii_numbers_are_read(text):
    from momentum_desktop.core.optimizers import OPTIMIZERS

    lr = OPTIMIZERS["gd"].hyperparameters[0]
    with pytest.raises(ParameterError, match="learning rate must be a number"):
        lr.parse(text)
    assert lr.parse(" .5 ") == 0.5 and lr.parse("1E-3") == 1e-3


def test_a_pair_takes_one_pair_of_brackets_at_most():
    from momentum_desktop.core.optimizers import OPTIMIZERS

    betas = next(p for p in OPTIMIZERS["adam"].hyperparameters if p.name == "betas")
    assert betas.parse("(0.9, 0.99)") == betas.parse("0.9,0.99") == (0.9, 0.99)
    with pytest.raises(ParameterError, match="two numbers"):
        betas.parse("[[0.9,0.99]]")
