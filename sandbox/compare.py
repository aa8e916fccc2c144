"""Comparing a program's output with the expected output: ``exact``, ``trimmed``, ``float``."""

from __future__ import annotations

import math
from enum import StrEnum


class Comparison(StrEnum):
    """How a test's actual output is compared with its expected output.

    * ``exact``: byte-for-byte equal (after decoding).
    * ``trimmed`` (default): trailing whitespace of each line, and blank lines before and after the
      text, are ignored; ``\\r\\n`` equals ``\\n``.
    * ``float``: like ``trimmed``, then whitespace-separated tokens are compared one by one;
      tokens that both parse as numbers match within the test's tolerance (absolute or relative),
      the others must be equal.
    """

    EXACT = "exact"
    TRIMMED = "trimmed"
    FLOAT = "float"


def normalise(text: str) -> str:
    """The ``trimmed`` form of a text."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value


def outputs_match(
    actual: str, expected: str, mode: Comparison = Comparison.TRIMMED, tolerance: float = 1e-6
) -> bool:
    """Whether ``actual`` matches ``expected`` under ``mode``."""
    if mode is Comparison.EXACT:
        return actual == expected
    a, e = normalise(actual), normalise(expected)
    if mode is Comparison.TRIMMED:
        return a == e
    a_tokens, e_tokens = a.split(), e.split()
    if len(a_tokens) != len(e_tokens):
        return False
    for got, want in zip(a_tokens, e_tokens, strict=True):
        got_n, want_n = _number(got), _number(want)
        if got_n is None or want_n is None:
            if got != want:
                return False
        elif not (
            (math.isnan(got_n) and math.isnan(want_n))
            or math.isclose(got_n, want_n, rel_tol=tolerance, abs_tol=tolerance)
        ):
            return False
    return True
