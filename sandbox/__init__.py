"""Running candidates' untrusted code in WebAssembly (wasmtime): one runtime per language,
time/memory/output limits, the test-case harness, verdicts, static code analysis.

The same engine serves the desktop app (instant feedback, offline) and the server
(authoritative grading), so both give the same verdict.

Public API::

    engine = Engine(cache_dir=None, *, runtime_dir=None, max_workers=2, max_queue=32,
                    warm_instances=2, maxima=None, progress=None)
    engine.languages() -> list[LanguageInfo]          # GET /api/execution/languages
    engine.prepare(languages=None) -> None            # compile/load + warm ahead (blocking)
    engine.execute(request: ExecutionRequest) -> ExecutionResult          # blocking
    await engine.execute_async(request) -> ExecutionResult                # asyncio-friendly
    engine.submit(request) -> concurrent.futures.Future[ExecutionResult]
    engine.close()                                    # also a context manager

    ExecutionRequest(language, code, test_cases=[TestCase(...)], time_limit_ms=5000,
                     memory_limit_bytes=128 MiB (int or "128MB"), output_limit_bytes=64 KiB,
                     analyze=True)
    TestCase(input=None | "fibonacci(10)", stdin=None | "1 2\\n", expected_output=None | "55",
             timeout_ms=None, comparison=Comparison.TRIMMED, tolerance=1e-6)
    ExecutionResult(language, runtime_version, verdict, overall_status, results: [TestResult],
                    total_execution_time_ms, compile_error, setup_output, analysis, instances)
    TestResult(index, status, verdict, output, expected_output, error, stderr,
               output_truncated, execution_time_ms, memory_used_bytes)
    CodeAnalysis(complexity, suggestions, quality_score)
    parse_memory_limit("128MB") -> int;  format_bytes(2_202_009) -> "2.1MB"
    clamp_request(request, Maxima(...)) -> (request, [Clamped(field, requested, applied)])

Limits are per test: ``time_limit_ms`` (or the test's ``timeout_ms``) of wall time enforced by
epoch interruption, ``memory_limit_bytes`` of guest linear memory, ``output_limit_bytes`` of
stdout + stderr. All tests of a submission run in one fresh instance (compile once, run many);
after a time-out or a crash the remaining tests run in another fresh instance. Verdicts:
:class:`Verdict` (``accepted``, ``wrong_answer``, ``time_limit_exceeded``,
``memory_limit_exceeded``, ``output_limit_exceeded``, ``runtime_error``,
``compilation_error``, ``internal_error``); ``status`` is ``passed`` only for ``accepted``.

Value printing of expression tests: see :mod:`sandbox.runtimes.python` and
:mod:`sandbox.runtimes.javascript`. Runtime binaries and licences: ``sandbox/RUNTIMES.md``.
Exceptions: :mod:`sandbox.errors` (root :class:`SandboxError`; ``SandboxBusy`` when the pool
and its queue are full). Compiled modules are cached in ``$ELLAAI_SANDBOX_CACHE`` (default:
the user cache folder); the JavaScript binary is installed by ``python -m sandbox install``.
"""

from __future__ import annotations

from sandbox.compare import Comparison, outputs_match
from sandbox.engine import Engine
from sandbox.errors import (
    EngineClosed,
    InvalidRequest,
    LanguageNotAvailable,
    RuntimeSetupError,
    SandboxBusy,
    SandboxError,
)
from sandbox.limits import Clamped, Maxima, format_bytes, parse_memory_limit
from sandbox.models import (
    CodeAnalysis,
    ExecutionRequest,
    ExecutionResult,
    LanguageInfo,
    TestCase,
    TestResult,
    TestStatus,
    Verdict,
    clamp_request,
)

__all__ = [
    "Clamped",
    "CodeAnalysis",
    "Comparison",
    "Engine",
    "EngineClosed",
    "ExecutionRequest",
    "ExecutionResult",
    "InvalidRequest",
    "LanguageInfo",
    "LanguageNotAvailable",
    "Maxima",
    "RuntimeSetupError",
    "SandboxBusy",
    "SandboxError",
    "TestCase",
    "TestResult",
    "TestStatus",
    "Verdict",
    "clamp_request",
    "format_bytes",
    "outputs_match",
    "parse_memory_limit",
]
