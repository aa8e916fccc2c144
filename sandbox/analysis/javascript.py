"""Static analysis of JavaScript with a small tokenizer and brace matching (a heuristic: no full
parser; the code is never executed)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandbox.analysis.common import Finding, poly, score, worst
from sandbox.models import CodeAnalysis

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)
  | (?P<number>\d[\w.]*)
  | (?P<name>[A-Za-z_$][\w$]*)
  | (?P<punct>===|!==|==|!=|=>|<=|>=|>>>|>>|<<|&&|\|\||\?\?|\+\+|--|[-+*/%=<>!&|^~?:;,.(){}\[\]])
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_LOOP_METHODS = {"forEach", "map", "filter", "reduce", "some", "every", "find", "flatMap"}
_GLOBALS = {
    "Array", "Object", "String", "Number", "Boolean", "Math", "JSON", "Map", "Set", "Promise",
    "parseInt", "parseFloat", "undefined", "NaN", "Infinity", "console", "eval", "arguments",
    "Symbol", "Date", "Error", "RegExp", "isNaN", "print",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str
    text: str
    line: int


def tokenize(code: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    line = 1
    for match in _TOKEN.finditer(code):
        kind = match.lastgroup or "other"
        text = match.group()
        if kind not in ("space", "comment"):
            tokens.append(_Tok(kind, text, line))
        line += text.count("\n")
    return tokens


def _match(tokens: list[_Tok], start: int, open_: str, close: str) -> int:
    """Index of the bracket closing the one at ``start`` (or the last token)."""
    depth = 0
    for i in range(start, len(tokens)):
        if tokens[i].text == open_:
            depth += 1
        elif tokens[i].text == close:
            depth -= 1
            if depth == 0:
                return i
    return len(tokens) - 1


@dataclass(slots=True)
class _Function:
    name: str
    params: list[str]
    body: tuple[int, int]  # token range [start, end)


def _functions(tokens: list[_Tok]) -> list[_Function]:
    found: list[_Function] = []
    for i, tok in enumerate(tokens):
        name = None
        params_at = None
        if tok.text == "function":
            j = i + 1
            if j < len(tokens) and tokens[j].text == "*":
                j += 1
            if j < len(tokens) and tokens[j].kind == "name":
                name, params_at = tokens[j].text, j + 1
            elif i >= 2 and tokens[i - 1].text == "=" and tokens[i - 2].kind == "name":
                name, params_at = tokens[i - 2].text, j
        elif (
            tok.kind == "name"
            and i + 2 < len(tokens)
            and tokens[i + 1].text == "="
            and tokens[i - 1].text in ("const", "let", "var")
        ):
            j = i + 2
            if j < len(tokens) and tokens[j].text == "async":
                j += 1
            if j < len(tokens) and tokens[j].text == "(":
                close = _match(tokens, j, "(", ")")
                if close + 1 < len(tokens) and tokens[close + 1].text == "=>":
                    name, params_at = tok.text, j
            elif j + 1 < len(tokens) and tokens[j].kind == "name" and tokens[j + 1].text == "=>":
                name = tok.text
                found.append(_Function(name, [tokens[j].text], _arrow_body(tokens, j + 2)))
                continue
        if name is None or params_at is None or params_at >= len(tokens):
            continue
        if tokens[params_at].text != "(":
            continue
        close = _match(tokens, params_at, "(", ")")
        params = [t.text for t in tokens[params_at + 1 : close] if t.kind == "name"]
        j = close + 1
        if j < len(tokens) and tokens[j].text == "=>":
            found.append(_Function(name, params, _arrow_body(tokens, j + 1)))
        elif j < len(tokens) and tokens[j].text == "{":
            found.append(_Function(name, params, (j, _match(tokens, j, "{", "}") + 1)))
    return found


def _arrow_body(tokens: list[_Tok], start: int) -> tuple[int, int]:
    if start < len(tokens) and tokens[start].text == "{":
        return start, _match(tokens, start, "{", "}") + 1
    depth, end = 0, start
    while end < len(tokens):
        text = tokens[end].text
        if text in "([{":
            depth += 1
        elif text in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif text in (";", ",") and depth == 0:
            break
        end += 1
    return start, end


def _loop_depth(tokens: list[_Tok], start: int, end: int) -> int:
    """Deepest nesting of loops (for/while/do and array iteration callbacks) in a range."""
    stack: list[bool] = []  # one entry per open brace: whether it is a loop body
    pending_loop = 0  # loop headers seen whose body has not opened yet
    best = 0
    i = start
    while i < end:
        tok = tokens[i]
        if tok.text in ("for", "while") and tok.kind == "name":
            prev = tokens[i - 1].text if i > 0 else ""
            if tok.text == "while" and prev == "}":  # `do {...} while (...)`: already counted
                i += 1
                continue
            paren = i + 1
            if paren < end and tokens[paren].text == "(":
                close = _match(tokens, paren, "(", ")")
                depth_here = sum(stack) + 1
                best = max(best, depth_here)
                if close + 1 < end and tokens[close + 1].text == "{":
                    pending_loop += 1
                    i = close + 1
                    continue
                i = close + 1
                continue
        elif tok.text == "do" and tok.kind == "name":
            best = max(best, sum(stack) + 1)
            pending_loop += 1
        elif (
            tok.kind == "name"
            and tok.text in _LOOP_METHODS
            and i > 0
            and tokens[i - 1].text == "."
            and i + 1 < end
            and tokens[i + 1].text == "("
        ):
            best = max(best, sum(stack) + 1)
            close = _match(tokens, i + 1, "(", ")")
            inner = _loop_depth(tokens, i + 2, close)
            best = max(best, sum(stack) + 1 + inner)
            i = close + 1
            continue
        if tok.text == "{":
            stack.append(pending_loop > 0)
            if pending_loop:
                pending_loop -= 1
            best = max(best, sum(stack))
        elif tok.text == "}" and stack:
            stack.pop()
        i += 1
    return best


def _self_calls(tokens: list[_Tok], fn: _Function) -> list[int]:
    start, end = fn.body
    return [
        i
        for i in range(start, end - 1)
        if tokens[i].text == fn.name
        and tokens[i + 1].text == "("
        and (i == 0 or tokens[i - 1].text not in (".", "function"))
    ]


def _call_halves(tokens: list[_Tok], at: int) -> bool:
    close = _match(tokens, at + 1, "(", ")")
    args = [t.text for t in tokens[at + 2 : close]]
    return any(
        a in (">>", "floor", "mid", "middle", "half")
        or (a == "/" and k + 1 < len(args) and args[k + 1] == "2")
        for k, a in enumerate(args)
    )


def analyze_javascript(code: str) -> CodeAnalysis:
    """Complexity, suggestions and a 0-10 quality score for JavaScript ``code``."""
    tokens = tokenize(code)
    names = [t.text for t in tokens if t.kind == "name"]
    functions = _functions(tokens)
    findings: list[Finding] = []
    classes = [poly(_loop_depth(tokens, 0, len(tokens)))]
    if any(t.text == "sort" for t in tokens):
        classes.append("O(n log n)")

    validated = any(n in ("throw", "typeof", "isInteger", "isNaN", "isFinite") for n in names)
    validation_suggested = False
    for fn in functions:
        start, end = fn.body
        calls = _self_calls(tokens, fn)
        loops = _loop_depth(tokens, start, end)
        body_names = {t.text for t in tokens[start:end] if t.kind == "name"}
        memoized = (
            any("memo" in n.lower() or "cache" in n.lower() for n in body_names)
            or "Map" in body_names
        )
        if len(calls) >= 2 and not memoized:
            if all(_call_halves(tokens, c) for c in calls):
                classes.append("O(n log n)")
            else:
                classes.append("O(2^n)")
                findings.append(
                    Finding(
                        f"Consider using memoization in {fn.name}(): it calls itself {len(calls)} "
                        "times per call, which is exponential",
                        1.5,
                    )
                )
        elif calls:
            halves = all(_call_halves(tokens, c) for c in calls)
            classes.append("O(log n)" if halves and not loops else poly(loops + 1))
        if (
            calls
            and fn.params
            and not validated
            and not validation_suggested
            and any(t.text in ("<=", "<", "===", "==") for t in tokens[start:end])
        ):
            validation_suggested = True
            findings.append(
                Finding(
                    f"Add input validation to {fn.name}() (negative or non-integer arguments)", 0.5
                )
            )
        for param in fn.params:
            if param in _GLOBALS:
                findings.append(
                    Finding(f"Parameter '{param}' of {fn.name}() shadows the global {param}", 0.5)
                )

    if "var" in names:
        findings.append(Finding("Use let or const instead of var", 0.5))
    loose = [t.line for t in tokens if t.text in ("==", "!=")]
    if loose:
        findings.append(Finding(f"Use === and !== instead of == and != (line {loose[0]})", 0.5))
    for i, tok in enumerate(tokens[:-1]):
        if tok.text in ("let", "const", "var") and tokens[i + 1].kind == "name":
            name = tokens[i + 1].text
            if name in _GLOBALS:
                findings.append(
                    Finding(f"'{name}' shadows the global {name}; choose another name", 0.5)
                )
            elif names.count(name) == 1 and not name.startswith("_"):
                findings.append(
                    Finding(f"Variable '{name}' is declared but never used (line {tok.line})", 0.5)
                )
        if tok.text == "catch":
            j = i + 1
            if j < len(tokens) and tokens[j].text == "(":
                j = _match(tokens, j, "(", ")") + 1
            if j + 1 < len(tokens) and tokens[j].text == "{" and tokens[j + 1].text == "}":
                findings.append(Finding(f"Empty catch block on line {tok.line} hides errors", 1.0))
        if tok.text == "eval" and tokens[i + 1].text == "(":
            findings.append(Finding("Avoid eval()", 1.0))
    if _loop_depth(tokens, 0, len(tokens)) > 3:
        findings.append(
            Finding("Loops are nested more than three deep; consider a better data structure", 0.5)
        )

    unique: list[Finding] = []
    for finding in findings:
        if all(finding.message != u.message for u in unique):
            unique.append(finding)
    return CodeAnalysis(
        complexity=worst(classes),
        suggestions=[f.message for f in unique],
        quality_score=score(unique),
    )
