"""Running candidates' untrusted code in WebAssembly (wasmtime): one runtime per language,
time/memory/output limits, the test-case harness, verdicts, static code analysis.

The same engine serves the desktop app (instant feedback, offline) and the server
(authoritative grading), so both give the same verdict.

Public API::

    engine = Engine(cache_dir=None, *, runtime_dir=None, max_workers=2, max_queue=32,
                    warm_instances=2, maxima=None, progress=None)
    engine.languages() -> list[LanguageInfo]          # GET /api/execution/languages
    list_languages(runtime_dir=None) -> list[LanguageInfo]   # the same, without an engine
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

Isolation: every submission gets fresh instances that are never reused for another one; the
guest has no preopened directories (no host files), no environment, no sockets and no way to
start processes; it reaches the host only through WASI calls on stdin/stdout/stderr, which the
host serves itself (:mod:`sandbox.guest`). Python instances start from a pre-initialised
snapshot (:mod:`sandbox.snapshot`, ~1 ms), and instances are started ahead of time (the warm
pool), so a run costs little more than the candidate's own code. The engine's ``maxima`` cap
every request; ``clamp_request`` reports what it lowered.

Threads: ``execute`` blocks; the desktop app calls it (and ``prepare``, which compiles the
runtimes on first use: for Python, making its snapshot and compiling it, 15-50 s) off the GUI
thread; ``progress`` is called on the thread that compiles. The server uses ``execute_async``
from its event loop.

Exceptions (:mod:`sandbox.errors`)::

    SandboxError
    ├── InvalidRequest          malformed request (bad limit string, empty code, too many tests)
    ├── LanguageNotAvailable    unknown language, or its binary is not installed
    ├── SandboxBusy             workers and queue full (the server answers 429/503)
    ├── EngineClosed
    └── RuntimeSetupError       a runtime binary failed to install, verify or compile

What the candidate's code does is never an exception: it is a verdict.

Value printing of expression tests: see :mod:`sandbox.runtimes.python` and
:mod:`sandbox.runtimes.javascript`. Runtime binaries and licences: ``sandbox/RUNTIMES.md``.
Compiled modules are cached in ``$ELLAAI_SANDBOX_CACHE`` (default:
the user cache folder); the JavaScript binary is installed by ``python -m sandbox install``.
"""

from __future__ import annotations

from sandbox.compare import Comparison, outputs_match
from sandbox.engine import Engine, list_languages
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
    "list_languages",
    "outputs_match",
    "parse_memory_limit",
]
