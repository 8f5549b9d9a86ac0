"""A surface sampled on a grid: log-scaled shading and isolines (via contourpy)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .surfaces import Domain, Surface

__all__ = ["ContourField", "contour_field"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContourField:
    """What a canvas needs to draw a surface.

    ``values[j, i]`` is f at ``(x[i], y[j])``: rows run along y, columns along x, and
    each grid point is the centre of its image cell. ``shade`` is
    ``log10(f - floor + offset)``, NaN where f is undefined. ``isolines[k]`` is an
    ``(m, 2)`` array of points for ``levels[k]``, separate pieces split by NaN rows.
    """

    domain: Domain
    x: np.ndarray
    y: np.ndarray
    values: np.ndarray
    shade: np.ndarray
    levels: np.ndarray
    isolines: tuple[np.ndarray, ...]
    floor: float
    offset: float

    def joined_isolines(self) -> np.ndarray:
        """Every isoline in one ``(m, 2)`` array, NaN rows between pieces."""
        return _join_with_gaps([line for line in self.isolines if len(line)])

    def shade_range(self) -> tuple[float, float]:
        """Lowest and highest shading value, the ends of the colour scale."""
        finite = self.shade[np.isfinite(self.shade)]
        if finite.size == 0:
            return (0.0, 1.0)
        return (float(finite.min()), float(finite.max()))

    def shade_of(self, loss: np.ndarray) -> np.ndarray:
        """The shading value of given losses, on the same log scale as the image."""
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(loss - self.floor, 0.0) + self.offset)


def contour_field(
    surface: Surface,
    resolution: int = 300,
    level_count: int = 20,
    domain: Domain | None = None,
) -> ContourField:
    """Sample ``surface`` over its domain (or ``domain``) and find its isolines.

    Levels are spaced evenly on the same log scale as the shading, so that a deep,
    flat valley such as Rosenbrock's still shows its floor.
    """
    domain = domain or surface.domain
    x = np.linspace(domain.x_min, domain.x_max, resolution)
    y = np.linspace(domain.y_min, domain.y_max, resolution)
    grid_x, grid_y = np.meshgrid(x, y)

    with np.errstate(all="ignore"):
        values = np.asarray(surface.value(grid_x, grid_y), dtype=float)
    values = np.where(np.isfinite(values), values, np.nan)

    finite = values[np.isfinite(values)]
    if finite.size == 0:
        log.warning("surface %s is undefined everywhere on its domain", surface.key)
        empty = np.full_like(values, np.nan)
        return ContourField(domain, x, y, values, empty, np.array([]), (), 0.0, 1.0)

    floor = min([float(finite.min())] + [m.value for m in surface.minima])
    spread = float(finite.max()) - floor
    offset = max(spread * 1e-6, 1e-12)
    with np.errstate(all="ignore"):
        shade = np.log10(values - floor + offset)

    levels = _levels(shade, floor, offset, level_count)
    isolines = _isolines(x, y, values, levels)
    return ContourField(domain, x, y, values, shade, levels, isolines, floor, offset)


def _levels(shade: np.ndarray, floor: float, offset: float, count: int) -> np.ndarray:
    """Loss values spaced evenly in shading between its low and high percentiles."""
    low, high = np.nanpercentile(shade, [0.5, 99.5])
    if not high > low:
        return np.array([])
    steps = np.linspace(low, high, count + 2)[1:-1]
    return floor + 10.0**steps - offset


def _isolines(x: np.ndarray, y: np.ndarray, values: np.ndarray,
              levels: np.ndarray) -> tuple[np.ndarray, ...]:
    import contourpy  # here, so that the core imports with numpy alone

    generator = contourpy.contour_generator(
        x, y, values, line_type=contourpy.LineType.ChunkCombinedNan
    )

    lines = []
    for level in levels:
        pieces = [p for p in generator.lines(float(level))[0] if p is not None]
        lines.append(_join_with_gaps(pieces))
    return tuple(lines)


def _join_with_gaps(pieces: list[np.ndarray]) -> np.ndarray:
    """One array of points, a NaN row between pieces so no segment joins them."""
    if not pieces:
        return np.empty((0, 2))

    gap = np.full((1, 2), np.nan)
    joined = [pieces[0]]
    for piece in pieces[1:]:
        joined += [gap, piece]
    return np.concatenate(joined)
