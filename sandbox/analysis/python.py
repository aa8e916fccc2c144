"""Static analysis of Python code with :mod:`ast` (the code is parsed, never executed)."""

from __future__ import annotations

import ast
import builtins

from sandbox.analysis.common import Finding, poly, score, worst
from sandbox.models import CodeAnalysis

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_MEMO_DECORATORS = {"cache", "lru_cache", "memoize", "memoized", "cached"}
_SHADOWABLE = {
    name
    for name in dir(builtins)
    if not name.startswith("_") and name[0].islower() and name not in {"copyright", "credits"}
}
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _loop_depth(node: ast.AST) -> int:
    """Deepest nesting of loops and comprehension generators under ``node`` (not into defs)."""
    best = 0
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (*_FUNCS, ast.Lambda, ast.ClassDef)):
            continue
        inner = _loop_depth(child)
        if isinstance(child, _LOOPS):
            inner += 1
        elif isinstance(child, _COMPREHENSIONS):
            inner = max(inner, 0) + len(child.generators)
        best = max(best, inner)
    return best


def _name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _self_calls(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(fn)
        if isinstance(node, ast.Call) and _name_of(node.func) == fn.name
    ]


def _is_memoized(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        if _name_of(target) in _MEMO_DECORATORS:
            return True
    # an explicit memo: a dict/set looked up in the function (`if n in memo`)
    return any(
        isinstance(node, ast.Compare)
        and any(isinstance(op, ast.In) for op in node.ops)
        and any(
            (isinstance(c, ast.Name) and "memo" in c.id.lower())
            or (isinstance(c, ast.Name) and "cache" in c.id.lower())
            for c in node.comparators
        )
        for node in ast.walk(fn)
    )


def _halves(call: ast.Call) -> bool:
    """Whether an argument of a recursive call divides (``n // 2``, ``mid``, slices)."""
    for arg in call.args:
        for node in ast.walk(arg):
            if isinstance(node, ast.BinOp) and isinstance(
                node.op, (ast.FloorDiv, ast.Div, ast.RShift)
            ):
                return True
            if isinstance(node, ast.Name) and node.id in {"mid", "middle", "half"}:
                return True
    return False


def _function_complexity(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    loops = _loop_depth(fn)
    calls = _self_calls(fn)
    classes = [poly(loops)]
    if calls:
        if len(calls) >= 2 and not _is_memoized(fn):
            if all(_halves(c) for c in calls):
                classes.append("O(n log n)")  # divide and conquer
            else:
                classes.append("O(2^n)")
        elif all(_halves(c) for c in calls):
            classes.append(poly(loops + 1) if loops else "O(log n)")
        else:
            classes.append(poly(loops + 1))
    if any(
        isinstance(node, ast.Call) and _name_of(node.func) in {"sorted", "sort"}
        for node in ast.walk(fn)
    ):
        classes.append("O(n log n)")
    return worst(classes)


class _Names(ast.NodeVisitor):
    """Names stored and loaded in one function body (not descending into nested defs)."""

    def __init__(self) -> None:
        self.stored: dict[str, int] = {}
        self.loaded: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self.stored.setdefault(node.id, node.lineno)
        else:
            self.loaded.add(node.id)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._nested(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._nested(node)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.generic_visit(node)

    def _nested(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        # names a nested function reads count as used by the outer one (closures)
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name) and not isinstance(inner.ctx, ast.Store):
                self.loaded.add(inner.id)


def _findings(tree: ast.Module, code: str) -> list[Finding]:
    found: list[Finding] = []
    functions = [n for n in ast.walk(tree) if isinstance(n, _FUNCS)]

    for fn in functions:
        calls = _self_calls(fn)
        if len(calls) >= 2 and not _is_memoized(fn) and not all(_halves(c) for c in calls):
            found.append(
                Finding(
                    f"Consider using memoization (functools.cache) in {fn.name}(): it recurses "
                    f"{len(calls)} times per call, which is exponential",
                    1.5,
                )
            )
        # unused local variables
        names = _Names()
        for stmt in fn.body:
            names.visit(stmt)
        params = {a.arg for a in (*fn.args.args, *fn.args.kwonlyargs, *fn.args.posonlyargs)}
        declared_global = {
            n
            for node in ast.walk(fn)
            if isinstance(node, (ast.Global, ast.Nonlocal))
            for n in node.names
        }
        for name, line in sorted(names.stored.items(), key=lambda item: item[1]):
            if (
                name not in names.loaded
                and not name.startswith("_")
                and name not in declared_global
            ):
                found.append(
                    Finding(
                        f"Variable '{name}' in {fn.name}() is assigned but never used "
                        f"(line {line})",
                        0.5,
                    )
                )
        # mutable default arguments
        for default in (*fn.args.defaults, *fn.args.kw_defaults):
            if isinstance(default, (ast.List, ast.Dict, ast.Set)):
                found.append(
                    Finding(f"Avoid a mutable default argument in {fn.name}(); use None", 1.0)
                )
        # shadowed built-ins (parameters)
        for param in sorted(params & _SHADOWABLE):
            found.append(
                Finding(f"Parameter '{param}' of {fn.name}() shadows the built-in {param}()", 0.5)
            )
        length = (fn.end_lineno or fn.lineno) - fn.lineno + 1
        if length > 60:
            found.append(
                Finding(f"{fn.name}() is {length} lines long; split it into smaller functions", 0.5)
            )

    # input validation: public functions taking arguments that never check them
    for fn in functions:
        if fn.name.startswith("_") or not fn.args.args:
            continue
        validates = any(
            isinstance(node, (ast.Raise, ast.Assert))
            or (isinstance(node, ast.Call) and _name_of(node.func) in {"isinstance", "type"})
            for node in ast.walk(fn)
        )
        numeric_base_case = any(
            isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.LtE, ast.Lt, ast.Eq)) for op in node.ops)
            and isinstance(node.left, ast.Name)
            and node.left.id in {a.arg for a in fn.args.args}
            and any(
                isinstance(c, ast.Constant) and isinstance(c.value, int) for c in node.comparators
            )
            for node in ast.walk(fn)
        )
        if not validates and numeric_base_case and _self_calls(fn):
            found.append(
                Finding(
                    f"Add input validation to {fn.name}() (negative or non-integer arguments)", 0.5
                )
            )
            break

    # shadowed built-ins (assignments, function and class names)
    shadowed: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and isinstance(node.ctx, ast.Store)
            and node.id in _SHADOWABLE
        ):
            shadowed.add(node.id)
        elif isinstance(node, (*_FUNCS, ast.ClassDef)) and node.name in _SHADOWABLE:
            shadowed.add(node.name)
    for name in sorted(shadowed):
        found.append(Finding(f"'{name}' shadows the built-in {name}(); choose another name", 0.5))

    # unused imports
    imported: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported[(alias.asname or alias.name).split(".")[0]] = node.lineno
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name != "*":
                    imported[alias.asname or alias.name] = node.lineno
    used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.value.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
    }
    for name, line in sorted(imported.items(), key=lambda item: item[1]):
        if name not in used:
            found.append(Finding(f"Unused import '{name}' (line {line})", 0.5))

    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is None:
            found.append(
                Finding(
                    f"Bare 'except:' on line {node.lineno} also catches KeyboardInterrupt; "
                    "name the exception",
                    1.0,
                )
            )
        elif (
            isinstance(node, ast.Compare)
            and any(isinstance(op, (ast.Eq, ast.NotEq)) for op in node.ops)
            and any(isinstance(c, ast.Constant) and c.value is None for c in node.comparators)
        ):
            found.append(
                Finding(f"Compare with None using 'is' / 'is not' (line {node.lineno})", 0.25)
            )
        elif (
            isinstance(node, ast.Call)
            and _name_of(node.func) == "range"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Call)
            and _name_of(node.args[0].func) == "len"
        ):
            found.append(
                Finding(f"Use enumerate() instead of range(len(...)) (line {node.lineno})", 0.25)
            )
        elif isinstance(node, ast.Global):
            found.append(Finding(f"Avoid global state ('global {', '.join(node.names)}')", 0.5))
    if _loop_depth(tree) + max((_loop_depth(f) for f in functions), default=0) > 3:
        found.append(
            Finding("Loops are nested more than three deep; consider a better data structure", 0.5)
        )
    del code
    # keep one message per text, in order
    seen: set[str] = set()
    unique = []
    for finding in found:
        if finding.message not in seen:
            seen.add(finding.message)
            unique.append(finding)
    return unique


def analyze_python(code: str) -> CodeAnalysis:
    """Complexity, suggestions and a 0-10 quality score for Python ``code``."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        where = f" on line {exc.lineno}" if isinstance(exc, SyntaxError) and exc.lineno else ""
        return CodeAnalysis(
            complexity="unknown",
            suggestions=[f"Fix the syntax error{where}: {getattr(exc, 'msg', exc)}"],
            quality_score=0.0,
        )
    functions = [n for n in ast.walk(tree) if isinstance(n, _FUNCS)]
    complexity = worst([poly(_loop_depth(tree)), *(_function_complexity(f) for f in functions)])
    findings = _findings(tree, code)
    return CodeAnalysis(
        complexity=complexity,
        suggestions=[f.message for f in findings],
        quality_score=score(findings),
    )
