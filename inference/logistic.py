"""Logistic regression over named evidence: the form every learned decision here is stored in.

A model is data (weights by feature name, standardization, bias), saved as JSON
beside the code; fitting is L2-regularized Newton's method on standardized
features, a few milliseconds for the hundreds of examples the dev photos give.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Logistic:
    """Logistic regression over standardized evidence; no weights: a constant rate."""

    weights: dict[str, float]
    bias: float
    mean: dict[str, float]
    scale: dict[str, float]

    def probability(self, facts: Mapping[str, float]) -> float:
        z = self.bias + sum(w * (facts[f] - self.mean[f]) / self.scale[f] for f, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def fit_logistic(x: np.ndarray, y: np.ndarray, features: Sequence[str], strength: float = 1.0) -> Logistic:
    """L2-regularized logistic regression of ``y`` (0/1) on the columns of ``x``, named ``features``."""
    x = x.reshape(len(y), len(features)).astype(float)
    mean = x.mean(axis=0) if len(x) else np.zeros(len(features))
    scale = x.std(axis=0) if len(x) else np.ones(len(features))
    scale[scale < 1e-9] = 1.0
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    w = np.zeros(z.shape[1])
    penalty = strength * np.eye(z.shape[1])
    penalty[0, 0] = 1e-6  # the bias is not shrunk (a touch keeps one class alone finite)
    for _ in range(60):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -30, 30)))
        gradient = z.T @ (p - y) + penalty @ w
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + penalty + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(
        weights={f: round(float(v), 5) for f, v in zip(features, w[1:], strict=True)},
        bias=round(float(w[0]), 5),
        mean={f: round(float(v), 5) for f, v in zip(features, mean, strict=True)},
        scale={f: round(float(v), 5) for f, v in zip(features, scale, strict=True)},
    )


def log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
