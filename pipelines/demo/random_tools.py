"""Small samplers on ``random.Random``, so a seed gives the same corpus on every machine.

The standard library's ``random.Random`` is stable across platforms for ``random()``,
``gauss`` and ``lognormvariate``; Python 3.11 has no binomial sampler and numpy's streams
are a second source of state to keep in step, so the few discrete distributions the
generator needs are written here on top of ``random()``.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson(lam): exact (Knuth) for small means, a rounded normal for large ones."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit = math.exp(-lam)
        k, p = 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def binomial(rng: random.Random, n: int, p: float) -> int:
    """Binomial(n, p): exact for small n, a clamped rounded normal for large n."""
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n < 50:
        return sum(1 for _ in range(n) if rng.random() < p)
    mean = n * p
    sd = math.sqrt(n * p * (1 - p))
    return min(n, max(0, round(rng.gauss(mean, sd))))


def multinomial(rng: random.Random, n: int, probs: Sequence[float]) -> list[int]:
    """Split ``n`` over ``probs`` (need not sum to 1) by conditional binomials."""
    total = float(sum(probs))
    out: list[int] = []
    rest = total
    for p in probs[:-1]:
        k = binomial(rng, n, p / rest) if rest > 0 and n > 0 else 0
        out.append(k)
        n -= k
        rest -= p
    out.append(n)
    return out


def jitter(rng: random.Random, weights: Sequence[float], sigma: float) -> list[float]:
    """Each weight times a lognormal factor: organs differ, but around a common pattern."""
    return [w * rng.lognormvariate(0.0, sigma) for w in weights]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    """One name from ``(name, weight)`` pairs."""
    total = sum(w for _, w in weighted)
    x = rng.random() * total
    for name, w in weighted:
        x -= w
        if x < 0:
            return name
    return weighted[-1][0]
