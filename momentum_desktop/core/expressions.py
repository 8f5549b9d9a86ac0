"""Surfaces typed by the user: a safe parser, exact gradients from sympy, numpy code.

The text is read with Python's own parser into a syntax tree (``ast.parse`` only
parses, it runs nothing), every node is checked against a short list of what is
allowed, and the sympy expression is built from the checked tree by this module.
Nothing of the text is ever evaluated as Python. sympy then differentiates the
expression and ``lambdify`` prints the expression and its gradient as numpy code.
"""

from __future__ import annotations

import ast
import functools
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .parameters import ParameterError
from .surfaces import Domain, Surface

__all__ = [
    "CONSTANTS",
    "FUNCTIONS",
    "MAX_LENGTH",
    "CompiledExpression",
    "ExpressionError",
    "ExpressionSurface",
    "check_domain",
    "compile_expression",
]

log = logging.getLogger(__name__)

MAX_LENGTH = 500
"""Longest expression accepted, in characters."""

MAX_DEPTH = 40
"""Deepest nesting of operations accepted."""

MAX_NODES = 400
"""Most numbers, names and operations in one expression."""

MAX_EXPONENT = 1000
"""Largest exponent of a power of numbers alone (2**1000, not 2**(10**9))."""

FUNCTIONS = {
    "sin": 1, "cos": 1, "tan": 1, "asin": 1, "acos": 1, "atan": 1, "atan2": 2,
    "sinh": 1, "cosh": 1, "tanh": 1, "exp": 1, "log": 1, "log10": 1, "log2": 1,
    "sqrt": 1, "abs": 1,
}
"""The functions an expression may call, with how many arguments each takes."""

CONSTANTS = ("pi", "e")
VARIABLES = ("x", "y")


class ExpressionError(ParameterError):
    """An expression was refused; the message points at the offending part."""


@dataclass(frozen=True)
class CompiledExpression:
    """An expression ready to evaluate: f and its gradient as numpy functions."""

    text: str
    formula: str
    gradient_formula: tuple[str, str]
    value: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gradient: tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], ...]


def compile_expression(text: str) -> CompiledExpression:
    """Check, differentiate and compile an expression in x and y.

    Raises
    ------
    ExpressionError
        If the text is not an expression built only of numbers, x, y, the
        operators + - * / ** ^, parentheses, ``FUNCTIONS`` and ``CONSTANTS``.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text; got {type(text).__name__}")
    return _compile_cached(text.strip())


@functools.lru_cache(maxsize=64)
def _compile_cached(text: str) -> CompiledExpression:
    import sympy  # slow to import: only when someone types an expression

    tree, positions = _parse(text)
    builder = _SympyBuilder(text, positions)
    expression = _as_floats(builder.build(tree.body))
    if not expression.free_symbols:
        log.info("expression %r is constant", text)

    x, y = builder.x, builder.y
    try:
        partials = tuple(_as_floats(sympy.diff(expression, v)) for v in (x, y))
        _check_defined(expression, partials)
        value = sympy.lambdify((x, y), expression, modules="numpy")
        gradient = tuple(sympy.lambdify((x, y), p, modules="numpy") for p in partials)
        printed = sympy.sstr(expression), tuple(sympy.sstr(p) for p in partials)
    except ExpressionError:
        raise
    except (ArithmeticError, RecursionError, TypeError, ValueError) as error:
        # sympy's own limits (a number with too many digits, say): refuse, saying so.
        log.info("expression %r could not be compiled: %r", text, error)
        raise ExpressionError(f"the expression cannot be turned into numbers: "
                              f"{error}") from None
    log.info("compiled expression %r", text)
    return CompiledExpression(text, printed[0], printed[1], value, gradient)


EXACT_LIMIT = 2**53
"""Exact numbers beyond this (10**300, 3**-900) become floats before numpy sees them."""


def _as_floats(expression: object) -> object:
    """``expression`` with its huge or finely divided exact numbers made floats.

    sympy keeps 10**300 and 3**-900 exact: numpy cannot take such integers, and
    printing one with thousands of digits exceeds Python's limit for turning
    integers into text. A float holds them as well as the numpy code can use them.
    """
    import sympy

    big = {number: sympy.Float(number, 17)
           for number in expression.atoms(sympy.Rational)
           if abs(number.p) > EXACT_LIMIT or number.q > EXACT_LIMIT}
    return expression.xreplace(big) if big else expression


def _check_defined(expression: object, partials: tuple[object, ...]) -> None:
    """Refuse what sympy already knows to be infinite or undefined everywhere."""
    import sympy

    undefined = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
    if any(part.has(*undefined) for part in (expression, *partials)):
        raise ExpressionError(
            "the expression is infinite or undefined everywhere (a division by "
            "zero, the log of 0, tan(pi/2), ...); change that part"
        )


def check_domain(domain: tuple[float, float, float, float]) -> Domain:
    """A custom surface's rectangle, or ParameterError saying what is wrong."""
    try:
        x_min, x_max, y_min, y_max = (float(v) for v in domain)
    except (TypeError, ValueError):
        raise ParameterError(
            "a domain is four numbers: x min, x max, y min, y max"
        ) from None

    if not all(math.isfinite(v) and abs(v) <= 1e6 for v in (x_min, x_max, y_min, y_max)):
        raise ParameterError("domain bounds must be finite numbers between -1e6 and 1e6")
    if not (x_min < x_max and y_min < y_max):
        raise ParameterError(
            f"domain must have x min < x max and y min < y max; got "
            f"x in [{x_min:g}, {x_max:g}], y in [{y_min:g}, {y_max:g}]"
        )
    return Domain(x_min, x_max, y_min, y_max)


class ExpressionSurface(Surface):
    """A surface from a typed expression, over a given domain.

    Where the expression is undefined (the log of a negative number, say) the value
    is NaN: the canvas leaves those cells blank, and a run that steps there ends as
    diverged.
    """

    key = "expression"
    title = "Custom expression"
    formula = ""

    def __init__(self, expression: str,
                 domain: tuple[float, float, float, float] = (-5.0, 5.0, -5.0, 5.0)
                 ) -> None:
        super().__init__()
        self.compiled = compile_expression(expression)
        self.expression = self.compiled.text
        self.formula = self.compiled.formula
        self._domain = check_domain(domain)
        # Every edit of a session builds its surface anew; the suggestion, a grid
        # of gradient evaluations, is worked out once per expression and domain.
        key = (self.expression, self._domain)
        if key not in _SUGGESTIONS:
            if len(_SUGGESTIONS) >= 64:
                _SUGGESTIONS.clear()
            _SUGGESTIONS[key] = _suggest_start(self)
        self._start, self._learning_rate = _SUGGESTIONS[key]

    def value(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            result = self.compiled.value(np.asarray(x, dtype=float),
                                         np.asarray(y, dtype=float))
        return _real(result, np.broadcast(x, y).shape)

    def gradient(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        shape = np.broadcast(x, y).shape
        with np.errstate(all="ignore"):
            return tuple(_real(part(x, y), shape) for part in self.compiled.gradient)

    @property
    def domain(self) -> Domain:
        return self._domain

    @property
    def default_start(self) -> tuple[float, float]:
        return self._start

    @property
    def default_learning_rate(self) -> float:
        return self._learning_rate

    def describe(self) -> str:
        return f"f(x, y) = {self.expression}"


def _real(result: object, shape: tuple[int, ...]) -> np.ndarray:
    """A float array of ``shape``: constants broadcast, complex or bad values NaN."""
    array = np.asarray(result)
    if np.iscomplexobj(array):
        array = np.where(array.imag == 0, array.real, np.nan)
    array = np.broadcast_to(array.astype(float, copy=False), shape).copy()
    array[~np.isfinite(array)] = np.nan
    return array


_SUGGESTIONS: dict[tuple[str, Domain], tuple[tuple[float, float], float]] = {}
"""Suggested start and learning rate by expression and domain."""


def _suggest_start(surface: ExpressionSurface) -> tuple[tuple[float, float], float]:
    """A defined point toward a corner of the domain, and a learning rate for GD there.

    The learning rate makes the first step about a fiftieth of the domain's size.
    """
    d = surface.domain
    xs = np.linspace(d.x_min, d.x_max, 41)
    ys = np.linspace(d.y_min, d.y_max, 41)
    grid_x, grid_y = np.meshgrid(xs, ys)
    values = surface.value(grid_x, grid_y)
    gx, gy = surface.gradient(grid_x, grid_y)
    norm = np.hypot(gx, gy)

    preferred = (d.x_min + 0.2 * (d.x_max - d.x_min), d.y_max - 0.2 * (d.y_max - d.y_min))
    defined = np.isfinite(values) & np.isfinite(norm)
    if not defined.any():
        raise ExpressionError(
            f"the expression is undefined everywhere in the domain "
            f"({d.describe()}): no start can be found; change the expression or "
            f"the domain"
        )

    # Steer clear of cliffs (near a log's or a square root's edge, say), where the
    # gradient is far steeper than is typical for the surface.
    typical = float(np.median(norm[defined])) or 1.0
    usable = defined & (norm <= 4 * typical)
    distance = np.hypot(grid_x - preferred[0], grid_y - preferred[1])
    distance[~usable] = np.inf
    j, i = np.unravel_index(np.argmin(distance), distance.shape)
    start = (float(round(xs[i], 6)), float(round(ys[j], 6)))

    rate = d.span / 100 / typical
    return start, float(f"{rate:.1g}")


class _SympyBuilder:
    """Turns a checked syntax tree into a sympy expression, node by node."""

    def __init__(self, text: str, positions: list[int]) -> None:
        import sympy

        self.sympy = sympy
        self.text = text
        self.positions = positions
        self.x, self.y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
        self.nodes = 0

    def build(self, node: ast.AST, depth: int = 0) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExpressionError(
                f"the expression is too long: at most {MAX_NODES} numbers, names and "
                "operations"
            )
        if depth > MAX_DEPTH:
            raise self._error(node, f"nested more than {MAX_DEPTH} deep")

        method = getattr(self, f"_build_{type(node).__name__}", None)
        if method is None:
            raise self._error(node, _describe_node(node) + " is not allowed")
        return method(node, depth + 1)

    def _build_Constant(self, node: ast.Constant, depth: int) -> object:  # noqa: N802
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(node, f"{value!r} is not a number")
        if abs(value) > 1e300:
            raise self._error(node, "this number is too large; at most 1e300")
        if isinstance(value, int):
            return self.sympy.Integer(value)
        return self.sympy.Float(value, 17)

    def _build_Name(self, node: ast.Name, depth: int) -> object:  # noqa: N802
        names = {"x": self.x, "y": self.y, "pi": self.sympy.pi, "e": self.sympy.E}
        if node.id in names:
            return names[node.id]
        if node.id in FUNCTIONS:
            raise self._error(node, f"{node.id} is a function: write {node.id}(...)")
        raise self._error(
            node, f"unknown name {node.id!r}; the names allowed are x, y, pi and e"
        )

    def _build_UnaryOp(self, node: ast.UnaryOp, depth: int) -> object:  # noqa: N802
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise self._error(node, "only + and - may stand before a term")

    def _build_BinOp(self, node: ast.BinOp, depth: int) -> object:  # noqa: N802
        # A chain such as a + b - c + d nests to the left in the tree; it is one
        # level for the reader, so the left operand does not count as deeper.
        chained = isinstance(node.left, ast.BinOp) and \
            _family(node.left.op) == _family(node.op) is not None
        left = self.build(node.left, depth - 1 if chained else depth)
        right = self.build(node.right, depth)
        operator = type(node.op)

        if operator is ast.Add:
            return left + right
        if operator is ast.Sub:
            return left - right
        if operator is ast.Mult:
            return left * right
        if operator is ast.Div:
            return left / right
        if operator is ast.Pow:
            self._check_power(node, left, right)
            return left**right
        raise self._error(node, "only the operators + - * / ** ^ are allowed")

    def _build_Tuple(self, node: ast.Tuple, depth: int) -> object:  # noqa: N802
        if not node.elts:
            raise self._error(node, "empty parentheses: put a term inside")
        raise self._error(node, _describe_node(node) + " is not allowed")

    def _build_Call(self, node: ast.Call, depth: int) -> object:  # noqa: N802
        if not isinstance(node.func, ast.Name):
            raise self._error(node.func, _describe_node(node.func) + " is not allowed")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self._error(
                node, f"{name!r} is not a function that may be called; allowed: "
                      f"{', '.join(FUNCTIONS)}"
            )
        if node.keywords or len(node.args) != FUNCTIONS[name]:
            count = FUNCTIONS[name]
            raise self._error(
                node, f"{name} takes {count} argument{'s' if count > 1 else ''}"
            )

        args = [self.build(arg, depth) for arg in node.args]
        sympy = self.sympy
        table = {
            "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin,
            "acos": sympy.acos, "atan": sympy.atan, "atan2": sympy.atan2,
            "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
            "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt, "abs": sympy.Abs,
            "log10": lambda a: sympy.log(a, 10), "log2": lambda a: sympy.log(a, 2),
        }
        return table[name](*args)

    def _check_power(self, node: ast.BinOp, base: object, exponent: object) -> None:
        """Refuse numeric powers too large to hold, or with exponents so large that
        sympy's exact arithmetic would take hours, before it tries to compute them."""
        if base.free_symbols or exponent.free_symbols:
            return
        try:
            huge_exponent = abs(float(exponent)) > MAX_EXPONENT
        except (OverflowError, TypeError, ValueError):
            huge_exponent = True
        if huge_exponent:
            raise self._error(node, f"this power's exponent is too large; at most "
                                    f"{MAX_EXPONENT} for a power of numbers")
        try:
            magnitude = math.pow(abs(float(base)), float(exponent))
        except (OverflowError, ValueError, TypeError, ZeroDivisionError):
            magnitude = math.inf
        if not math.isfinite(magnitude) or magnitude > 1e300:
            raise self._error(node, "this power is too large a number")

    def _error(self, node: ast.AST, problem: str) -> ExpressionError:
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", start + 1) or start + 1
        first = self.positions[min(start, len(self.positions) - 1)]
        last = self.positions[min(end, len(self.positions) - 1)]
        part = self.text[first:last] or self.text[first:first + 1]
        return ExpressionError(f"{_shorten(part)!r} at position {first + 1}: {problem}")


def _family(operator: ast.operator) -> str | None:
    """Operators that chain without nesting for a reader: + and -, * and /."""
    if isinstance(operator, (ast.Add, ast.Sub)):
        return "sum"
    if isinstance(operator, (ast.Mult, ast.Div)):
        return "product"
    return None


def _parse(text: str) -> tuple[ast.Expression, list[int]]:
    """Parse with ``^`` read as a power; map positions back to the typed text."""
    if not text:
        raise ExpressionError("the expression is empty; type one in x and y, "
                              "like x**2 + 10*y**2")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(text)} characters long; at most {MAX_LENGTH} "
            "are allowed"
        )
    bad = next((c for c in text if not (c.isascii() and c.isprintable()) or c == "#"),
               None)
    if bad is not None:
        where = text.index(bad) + 1
        raise ExpressionError(f"{bad!r} at position {where} is not allowed: use "
                              "plain letters, digits and + - * / ^ ( ) . ,")

    python, positions = [], []
    for index, char in enumerate(text):
        if char == "^":
            python.append("**")
            positions += [index, index]
        else:
            python.append(char)
            positions.append(index)
    positions.append(len(text))

    source = "".join(python)
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        if text.rstrip()[-1] in "+-*/^(,.":
            raise ExpressionError(f"the expression ends with {text.rstrip()[-1]!r}: "
                                  "something is missing after it") from None
        column = max((error.offset or 1) - 1, 0)
        where = positions[min(column, len(positions) - 1)] + 1
        raise ExpressionError(
            f"the expression cannot be read at position {where}: {error.msg}"
        ) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("the expression cannot be read") from None
    return tree, positions


def _describe_node(node: ast.AST) -> str:
    descriptions = {
        ast.Attribute: "attribute access (a dot after a name)",
        ast.Subscript: "indexing with [ ]",
        ast.Lambda: "a lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "and / or",
        ast.IfExp: "if / else",
        ast.Tuple: "a comma outside a function call",
        ast.List: "a list",
        ast.Dict: "a dictionary",
        ast.Set: "a set",
        ast.JoinedStr: "a string",
        ast.Starred: "a star argument",
        ast.NamedExpr: "an assignment",
        ast.Await: "await",
        ast.ListComp: "a comprehension",
        ast.GeneratorExp: "a generator",
    }
    return descriptions.get(type(node), type(node).__name__)


def _shorten(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."
