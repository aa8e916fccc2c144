"""Static code analysis from the syntax tree (never by running the code): estimated complexity,
concrete suggestions and a 0-10 quality score.

Python uses :mod:`ast`; JavaScript a small tokenizer with brace matching (heuristic).
"""

from __future__ import annotations

from sandbox.analysis.common import COMPLEXITY_ORDER, Finding, score
from sandbox.analysis.javascript import analyze_javascript
from sandbox.analysis.python import analyze_python

__all__ = ["COMPLEXITY_ORDER", "Finding", "analyze_javascript", "analyze_python", "score"]
