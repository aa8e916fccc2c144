""" "Run sample tests" on this computer in the `sandbox` engine: the server grades with the same
engine, so a sample test passes here exactly when it passes there."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path

from sandbox import Engine, ExecutionRequest, ExecutionResult, TestCase
from ui.ports import RunReport, SampleTest, TestOutcome, Verdict


def _engine() -> Engine:
    """The bundle carries the runtimes that no package ships in ``sandbox-runtimes/``."""
    bundle = getattr(sys, "_MEIPASS", None)
    return Engine(runtime_dir=Path(bundle) / "sandbox-runtimes" if bundle else None)


class LocalSandbox:
    """One engine per process, created on first use (loading wasmtime takes a moment)."""

    def __init__(self, factory: Callable[[], Engine] = _engine) -> None:
        self._factory = factory
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._factory()
            return self._engine

    def prepare(self, progress: Callable[[float], None] | None = None) -> None:
        """Compile (first use: seconds) or load each installed runtime, and warm it."""
        engine = self.engine
        installed = [info.id for info in engine.languages() if info.installed]
        for done, language in enumerate(installed, 1):
            engine.prepare([language])
            if progress is not None:
                progress(done / len(installed))

    def run(
        self,
        language: str,
        code: str,
        tests: tuple[SampleTest, ...],
        *,
        time_limit_ms: int = 5000,
        memory_limit_mb: int = 128,
    ) -> RunReport:
        result = self.engine.execute(
            ExecutionRequest(
                language=language,
                code=code,
                test_cases=[
                    TestCase(input=t.input, stdin=t.stdin, expected_output=t.expected)
                    for t in tests
                ],
                time_limit_ms=time_limit_ms,
                memory_limit_bytes=memory_limit_mb * 1024 * 1024,
                analyze=False,
            )
        )
        return report(result, tests)

    def close(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()


def report(result: ExecutionResult, tests: tuple[SampleTest, ...]) -> RunReport:
    if result.compile_error:
        return RunReport((), error=result.compile_error)
    outcomes = []
    for r in result.results:
        test = tests[r.index]
        problem = "\n".join(p for p in (r.error, r.stderr) if p)
        outcomes.append(
            TestOutcome(
                name=test.name,
                verdict=Verdict(r.verdict.value),
                expected=r.expected_output if r.expected_output is not None else test.expected,
                actual=r.output.strip(),
                output=problem,
                millis=r.execution_time_ms,
            )
        )
    return RunReport(tuple(outcomes))
