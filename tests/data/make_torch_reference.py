"""Regenerate torch_reference.json: trajectories computed with the real torch.optim.

Needs torch (the test suite does not): ``pip install torch numpy`` then run
``python tests/data/make_torch_reference.py`` from the repository root. The surfaces
are written again here in torch operations, gradients come from autograd, so the
stored paths check both our gradients and our update rules.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)
TAU = 2 * math.pi
STEPS = 30


def valley(x, y):
    c, s = math.cos(math.radians(20)), math.sin(math.radians(20))
    u, v = c * x + s * y, -s * x + c * y
    return 0.5 * (u * u + 50 * v * v)


def goldstein_price(x, y):
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y
                                      + 27 * y**2)
    return a * b


SURFACES = {
    "valley": (valley, (-4.434, -0.975), 0.036),
    "rosenbrock": (lambda x, y: (1 - x) ** 2 + 100 * (y - x * x) ** 2, (-1.5, 2.5), 1e-3),
    "scaled_rosenbrock": (lambda x, y: (1 - x) ** 2 + 20 * (3 * y - x * x) ** 2,
                          (-1.5, 1.2), 2e-3),
    "beale": (lambda x, y: (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
              + (2.625 - x + x * y**3) ** 2, (1.0, 1.5), 1e-3),
    "booth": (lambda x, y: (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2, (-8.0, -6.0), 0.05),
    "himmelblau": (lambda x, y: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
                   (-0.5, -0.5), 0.01),
    "rastrigin": (lambda x, y: 20 + x * x + y * y - 10 * (torch.cos(TAU * x)
                                                         + torch.cos(TAU * y)),
                  (3.3, -2.6), 2e-3),
    "ackley": (lambda x, y: -20 * torch.exp(-0.2 * torch.sqrt(0.5 * (x * x + y * y)))
               - torch.exp(0.5 * (torch.cos(TAU * x) + torch.cos(TAU * y))) + math.e + 20,
               (-3.2, 2.6), 0.01),
    "goldstein_price": (goldstein_price, (-0.6, 0.4), 1e-5),
    "six_hump_camel": (lambda x, y: (4 - 2.1 * x * x + x**4 / 3) * x * x + x * y
                       + (-4 + 4 * y * y) * y * y, (-1.6, -1.2), 0.01),
    "matyas": (lambda x, y: 0.26 * (x * x + y * y) - 0.48 * x * y, (-8.0, -5.0), 1.8),
    "saddle": (lambda x, y: x * x - y * y, (-1.8, 0.01), 0.05),
}


def optimizer_cases(lr: float, span: float) -> list[tuple[str, str, dict, dict]]:
    """(our optimizer, torch class, our hyperparameters, torch keyword arguments)."""
    step = span / 200
    return [
        ("gd", "SGD", {"lr": lr}, {"lr": lr}),
        ("gd", "SGD", {"lr": lr, "weight_decay": 0.01}, {"lr": lr, "weight_decay": 0.01}),
        ("momentum", "SGD", {"lr": lr / 2, "momentum": 0.9},
         {"lr": lr / 2, "momentum": 0.9}),
        ("momentum", "SGD", {"lr": lr / 2, "momentum": 0.8, "dampening": 0.3,
                             "weight_decay": 0.01},
         {"lr": lr / 2, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.01}),
        ("nesterov", "SGD", {"lr": lr / 2, "momentum": 0.9},
         {"lr": lr / 2, "momentum": 0.9, "nesterov": True}),
        ("momentum", "SGD", {"lr": lr / 2, "momentum": 0.7, "nesterov": True},
         {"lr": lr / 2, "momentum": 0.7, "nesterov": True}),
        ("adagrad", "Adagrad", {"lr": step * 10}, {"lr": step * 10}),
        ("adagrad", "Adagrad", {"lr": step * 10, "lr_decay": 0.01, "weight_decay": 0.01,
                                "initial_accumulator_value": 0.1, "eps": 1e-6},
         {"lr": step * 10, "lr_decay": 0.01, "weight_decay": 0.01,
          "initial_accumulator_value": 0.1, "eps": 1e-6}),
        ("rmsprop", "RMSprop", {"lr": step}, {"lr": step}),
        ("rmsprop", "RMSprop", {"lr": step, "alpha": 0.9, "momentum": 0.5,
                                "centered": True, "weight_decay": 0.01},
         {"lr": step, "alpha": 0.9, "momentum": 0.5, "centered": True,
          "weight_decay": 0.01}),
        ("adam", "Adam", {"lr": step}, {"lr": step}),
        ("adam", "Adam", {"lr": step, "betas": [0.8, 0.99], "amsgrad": True,
                          "weight_decay": 0.01, "eps": 1e-6},
         {"lr": step, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.01,
          "eps": 1e-6}),
    ]


SPANS = {"valley": 10, "rosenbrock": 4, "scaled_rosenbrock": 4, "beale": 9, "booth": 20,
         "himmelblau": 10, "rastrigin": 10.24, "ackley": 10, "goldstein_price": 4,
         "six_hump_camel": 6, "matyas": 20, "saddle": 4}


def trajectory(function, start, torch_class: str, options: dict) -> list[list[float]]:
    point = torch.tensor(start, requires_grad=True)
    optimizer = getattr(torch.optim, torch_class)([point], **options)
    rows = []
    for _ in range(STEPS + 1):
        optimizer.zero_grad()
        loss = function(point[0], point[1])
        rows.append([point[0].item(), point[1].item(), loss.item()])
        loss.backward()
        optimizer.step()
    return rows


def main() -> None:
    cases = []
    for surface, (function, start, lr) in SURFACES.items():
        for ours, torch_class, hyper, options in optimizer_cases(lr, SPANS[surface]):
            cases.append({
                "surface": surface, "optimizer": ours, "hyperparameters": hyper,
                "start": list(start), "steps": STEPS,
                "torch": f"torch.optim.{torch_class}({options})",
                "trajectory": trajectory(function, start, torch_class, options),
            })

    out = Path(__file__).with_name("torch_reference.json")
    out.write_text(json.dumps({"torch_version": torch.__version__, "cases": cases},
                              indent=0))
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
