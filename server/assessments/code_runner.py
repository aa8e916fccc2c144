"""The server's sandbox: the one engine of the process, and grading through it.

One engine per server process, created on first use and kept in `ServerContext.extras`, so its
compiled runtimes and warm instances serve every request; `close_code_runner` stops it with the
app. Its pool is bounded (`Settings.execution_workers` running, `execution_queue` waiting): work
past that is refused at once, never piled up. When the engine cannot grade (its pool is full, a
runtime is missing, it failed inside), `GradingUnavailable` says so: the answer is kept as
`grading_unavailable` and the sweep grades it later; a score is never made up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from sandbox import (
    Engine,
    ExecutionRequest,
    SandboxError,
    TestResult,
    Verdict,
)
from sandbox import TestCase as SandboxTest
from server.assessments.grading import CodeReport, CodeRunner, GradingUnavailable, TestRun
from server.deps import ServerContext
from server.schemas.questions import TestCase

log = logging.getLogger(__name__)

EXTRAS_KEY = "sandbox.runner"
_create_lock = threading.Lock()

_STATUS = {
    Verdict.ACCEPTED: "passed",
    Verdict.WRONG_ANSWER: "failed",
    Verdict.TIME_LIMIT_EXCEEDED: "timeout",
    Verdict.MEMORY_LIMIT_EXCEEDED: "memory_exceeded",
}


class SandboxRunner:
    """Runs a submission's tests in one call to the engine and reads back verdicts and analysis."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def run(
        self,
        *,
        language: str,
        code: str,
        tests: Sequence[TestCase],
        time_limit_ms: int,
        memory_limit_mb: int,
    ) -> CodeReport:
        request = ExecutionRequest(
            language=language,
            code=code,
            test_cases=[
                SandboxTest(
                    input=t.input,
                    stdin=t.stdin,
                    expected_output=t.expected_output,
                    timeout_ms=t.timeout,
                )
                for t in tests
            ],
            time_limit_ms=time_limit_ms,
            memory_limit_bytes=memory_limit_mb * 1024 * 1024,
        )
        try:
            result = self.engine.execute(request)
        except SandboxError as exc:
            log.warning("sandbox could not grade a %s answer: %s", language, exc)
            raise GradingUnavailable(str(exc)) from exc
        if result.verdict is Verdict.INTERNAL_ERROR:
            raise GradingUnavailable("the sandbox failed internally")
        runs = [_run(r, result.compile_error) for r in result.results]
        suggestions = list(result.analysis.suggestions) if result.analysis else []
        return CodeReport(runs=runs, suggestions=suggestions)

    def close(self) -> None:
        self.engine.close()


def _run(result: TestResult, compile_error: str | None) -> TestRun:
    return TestRun(
        status=_STATUS.get(result.verdict, "error"),
        output=result.output.rstrip("\n"),
        error=result.error or compile_error,
        time_ms=round(result.execution_time_ms, 2),
    )


def code_runner(context: ServerContext) -> CodeRunner:
    """The process's runner, created on first use (compiling or loading the runtimes)."""
    runner = context.extras.get(EXTRAS_KEY)
    if runner is None:
        with _create_lock:
            runner = context.extras.get(EXTRAS_KEY)
            if runner is None:
                settings = context.settings
                engine = Engine(
                    warm_instances=1,
                    max_workers=settings.execution_workers,
                    max_queue=settings.execution_queue,
                )
                runner = SandboxRunner(engine)
                context.extras[EXTRAS_KEY] = runner
    assert isinstance(runner, SandboxRunner)
    return runner


def sandbox_engine(context: ServerContext) -> Engine:
    """The same engine, for the Code Execution API: one pool of workers serves both."""
    runner = code_runner(context)
    assert isinstance(runner, SandboxRunner)
    return runner.engine


def close_code_runner(context: ServerContext) -> None:
    runner = context.extras.pop(EXTRAS_KEY, None)
    if isinstance(runner, SandboxRunner):
        runner.close()
