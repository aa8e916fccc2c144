"""What the language analysers share: complexity classes, findings and the score."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

COMPLEXITY_ORDER = ["O(1)", "O(log n)", "O(n)", "O(n log n)", "O(n^2)", "O(n^3)", "O(2^n)"]


def poly(depth: int) -> str:
    """The class of ``depth`` nested loops."""
    if depth <= 0:
        return "O(1)"
    if depth == 1:
        return "O(n)"
    return f"O(n^{depth})"


def rank(complexity: str) -> int:
    if complexity in COMPLEXITY_ORDER:
        return COMPLEXITY_ORDER.index(complexity)
    if complexity.startswith("O(n^"):
        return len(COMPLEXITY_ORDER) - 1  # O(n^4) and up sort just below O(2^n)
    return 0


def worst(classes: Iterable[str]) -> str:
    return max(classes, key=rank, default="O(1)")


@dataclass(frozen=True, slots=True)
class Finding:
    """One suggestion and how much it costs the quality score."""

    message: str
    penalty: float


def score(findings: Iterable[Finding]) -> float:
    """10 minus the penalties, never below 0, rounded to a half point."""
    total = 10.0 - sum(f.penalty for f in findings)
    return max(0.0, round(total * 2) / 2)
