from __future__ import annotations

import pytest

from sandbox.analysis import analyze_javascript, analyze_python

PY_FIB = """
def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
"""

PY_MEMO = """
from functools import cache

@cache
def fibonacci(n):
    if n < 0:
        raise ValueError("n must be >= 0")
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
"""


@pytest.mark.parametrize(
    ("code", "complexity"),
    [
        ("x = 1\nprint(x)\n", "O(1)"),
        ("def f(a):\n    for x in a:\n        print(x)\n", "O(n)"),
        ("def f(a):\n    for x in a:\n        for y in a:\n            print(x, y)\n", "O(n^2)"),
        ("def f(a):\n    return [x * y for x in a for y in a for z in a]\n", "O(n^3)"),
        ("def f(a):\n    return sorted(a)\n", "O(n log n)"),
        (PY_FIB, "O(2^n)"),
        (PY_MEMO, "O(n)"),
        ("def f(n):\n    if n == 0:\n        return 0\n    return f(n // 2) + 1\n", "O(log n)"),
    ],
)
def test_python_complexity(code: str, complexity: str) -> None:
    assert analyze_python(code).complexity == complexity


def test_python_fibonacci_suggestions_match_the_spec() -> None:
    analysis = analyze_python(PY_FIB)
    text = " ".join(analysis.suggestions)
    assert "memoization" in text
    assert "input validation" in text
    assert 5 <= analysis.quality_score < 10


def test_python_memoized_and_validated_is_clean() -> None:
    analysis = analyze_python(PY_MEMO)
    assert analysis.suggestions == []
    assert analysis.quality_score == 10.0


def test_python_findings() -> None:
    code = (
        "import os\n"
        "def total(list, acc=[]):\n"
        "    unused = 3\n"
        "    sum = 0\n"
        "    for i in range(len(list)):\n"
        "        sum += list[i]\n"
        "    try:\n"
        "        pass\n"
        "    except:\n"
        "        pass\n"
        "    if acc == None:\n"
        "        return 0\n"
        "    return sum\n"
    )
    analysis = analyze_python(code)
    text = "\n".join(analysis.suggestions)
    assert "Variable 'unused'" in text
    assert "Unused import 'os'" in text
    assert "shadows the built-in list" in text
    assert "'sum' shadows the built-in sum" in text
    assert "mutable default" in text
    assert "Bare 'except:'" in text
    assert "enumerate" in text
    assert "is None" in text or "'is'" in text
    assert analysis.quality_score < 6


def test_python_syntax_error_is_reported_not_raised() -> None:
    analysis = analyze_python("def f(:\n")
    assert analysis.complexity == "unknown"
    assert analysis.quality_score == 0.0
    assert "syntax error" in analysis.suggestions[0]


JS_FIB = """
function fibonacci(n) {
  if (n <= 1) return n;
  return fibonacci(n-1) + fibonacci(n-2);
}
console.log(fibonacci(10));
"""


@pytest.mark.parametrize(
    ("code", "complexity"),
    [
        ("console.log(1 + 1);", "O(1)"),
        ("function f(a) { for (const x of a) { console.log(x); } }", "O(n)"),
        (
            (
                "function f(a) { for (let i = 0; i < a.length; i++) { for"
                " (let j = 0; j < i; j++) { g(i, j); } } }"
            ),
            "O(n^2)",
        ),
        ("const f = (a) => a.map((x) => a.filter((y) => y < x).length);", "O(n^2)"),
        ("function f(a) { return a.slice().sort((x, y) => x - y); }", "O(n log n)"),
        (JS_FIB, "O(2^n)"),
        (
            (
                "const memo = new Map();\n"
                "function fib(n) { if (memo.has(n)) return memo.get(n);\n"
                "  const v = n < 2 ? n : fib(n-1) + fib(n-2); memo.set(n, v); return v; }"
            ),
            "O(n)",
        ),
        ("let i = 0; while (true) { i++; }", "O(n)"),
    ],
)
def test_javascript_complexity(code: str, complexity: str) -> None:
    assert analyze_javascript(code).complexity == complexity


def test_javascript_spec_example_suggestions() -> None:
    analysis = analyze_javascript(JS_FIB)
    assert analysis.complexity == "O(2^n)"
    text = " ".join(analysis.suggestions)
    assert "memoization" in text
    assert "input validation" in text


def test_javascript_findings() -> None:
    code = (
        "var total = 0;\n"
        "let unused = 5;\n"
        "const Array = [];\n"
        "function add(x) { if (x == null) { return 0; } try { total += x; } catch (e) {} }\n"
        "add(eval('1'));\n"
    )
    text = "\n".join(analyze_javascript(code).suggestions)
    assert "var" in text
    assert "Variable 'unused'" in text
    assert "'Array' shadows" in text
    assert "===" in text
    assert "Empty catch" in text
    assert "eval" in text


def test_javascript_analysis_survives_garbage() -> None:
    analysis = analyze_javascript("function ( {{{ ` unterminated")
    assert 0 <= analysis.quality_score <= 10
