"""Turning a submission into verdicts: run all tests in one instance, re-run the rest in a fresh
instance after a crash, compare outputs, pick the overall verdict.

The overall verdict is the first non-accepted test's verdict in test order (as judges report
it), ``accepted`` when every test passed, ``compilation_error`` when the code does not compile.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sandbox.compare import outputs_match
from sandbox.guest import Crash, GuestInstance, GuestJob, Record
from sandbox.models import (
    ExecutionRequest,
    ExecutionResult,
    TestCase,
    TestResult,
    TestStatus,
    Verdict,
)
from sandbox.runtimes.base import Runtime

# A crash with the linear memory this close to the limit is taken for running out of memory.
_MEMORY_SLACK_BYTES = 4 * 1024 * 1024
# Host-side allowance on top of a job's summed budgets before it is declared lost.
_JOB_GRACE_S = 30.0


def _decode(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _result(
    index: int,
    test: TestCase,
    verdict: Verdict,
    record: Record | None,
    error: str | None = None,
) -> TestResult:
    output = _decode(bytes(record.stdout)) if record else ""
    return TestResult(
        index=index,
        status=TestStatus.PASSED if verdict is Verdict.ACCEPTED else TestStatus.FAILED,
        verdict=verdict,
        output=output,
        expected_output=test.expected_output,
        error=error,
        stderr=_decode(bytes(record.stderr)) if record else "",
        output_truncated=record.truncated if record else False,
        execution_time_ms=round(record.elapsed_ms, 3) if record else 0.0,
        memory_used_bytes=record.memory_bytes if record else 0,
    )


def _finished(index: int, test: TestCase, record: Record) -> TestResult:
    """The result of a test the harness reported as finished."""
    if record.kind == "memory":
        return _result(index, test, Verdict.MEMORY_LIMIT_EXCEEDED, record, record.detail)
    if record.kind in ("error", "exit"):
        return _result(index, test, Verdict.RUNTIME_ERROR, record, record.detail)
    if test.expected_output is None:
        return _result(index, test, Verdict.ACCEPTED, record)
    actual = _decode(bytes(record.stdout))
    if outputs_match(actual, test.expected_output, test.comparison, test.tolerance):
        return _result(index, test, Verdict.ACCEPTED, record)
    return _result(index, test, Verdict.WRONG_ANSWER, record)


def _crashed(
    index: int,
    test: TestCase,
    record: Record | None,
    job: GuestJob,
    request: ExecutionRequest,
    budget_ms: int,
) -> TestResult:
    """The result of the test during which the instance died."""
    if job.crash is Crash.TIMEOUT:
        return _result(
            index,
            test,
            Verdict.TIME_LIMIT_EXCEEDED,
            record,
            f"time limit of {budget_ms} ms exceeded",
        )
    if job.crash is Crash.OUTPUT:
        return _result(
            index,
            test,
            Verdict.OUTPUT_LIMIT_EXCEEDED,
            record,
            f"output limit of {request.output_limit_bytes} bytes exceeded; output truncated",
        )
    if job.crash is Crash.TRAP:
        if job.memory_at_crash + _MEMORY_SLACK_BYTES >= request.memory_limit_bytes:
            return _result(
                index,
                test,
                Verdict.MEMORY_LIMIT_EXCEEDED,
                record,
                f"memory limit of {request.memory_limit_bytes} bytes exceeded ({job.crash_detail})",
            )
        return _result(index, test, Verdict.RUNTIME_ERROR, record, job.crash_detail)
    if job.crash is Crash.EXIT:
        if job.exit_code == 0 and record is not None:
            record.kind = "ok"
            return _finished(index, test, record)
        return _result(index, test, Verdict.RUNTIME_ERROR, record, job.crash_detail)
    return _result(index, test, Verdict.INTERNAL_ERROR, record, job.crash_detail or "no result")


def judge(
    request: ExecutionRequest,
    runtime: Runtime,
    runtime_version: str,
    new_instance: Callable[[], GuestInstance],
) -> ExecutionResult:
    """Run ``request`` and return its verdicts; ``new_instance`` gives a fresh instance."""
    started = time.perf_counter()
    tests = list(request.test_cases) or [TestCase(stdin="")]
    results: dict[int, TestResult] = {}
    remaining = list(range(len(tests)))
    compile_error: str | None = None
    setup_output = ""
    instances = 0
    while remaining:
        chosen = [tests[i] for i in remaining]
        budgets = [request.budget_ms(t) for t in chosen]
        expression_budgets = [request.budget_ms(t) for t in chosen if t.is_expression]
        setup_budget = max(expression_budgets, default=request.time_limit_ms)
        job = GuestJob(
            payload=runtime.payload(request.code, chosen),
            budgets_ms=budgets,
            setup_budget_ms=setup_budget,
            memory_limit_bytes=request.memory_limit_bytes,
            output_limit_bytes=request.output_limit_bytes,
        )
        instances += 1
        instance = new_instance()
        limit_s = (sum(budgets) + setup_budget) / 1000 + _JOB_GRACE_S
        instance.run(job, timeout=limit_s)
        if not job.done.is_set():
            # The ticker should have stopped the guest long ago: something is wrong on the host.
            for i in remaining:
                results[i] = _result(
                    i, tests[i], Verdict.INTERNAL_ERROR, None, "the sandbox did not answer"
                )
            break
        if job.compile_error is not None:
            compile_error = job.compile_error
            for i in remaining:
                results[i] = _result(i, tests[i], Verdict.COMPILATION_ERROR, None, compile_error)
            break
        if job.setup is not None and not setup_output:
            setup_output = _decode(bytes(job.setup.stdout))
        progressed = False
        next_remaining: list[int] = []
        for position, index in enumerate(remaining):
            test = tests[index]
            record = job.records.get(position)
            if record is not None and record.kind is not None:
                results[index] = _finished(index, test, record)
                progressed = True
            elif job.crash is not None and job.crashed_position == position:
                results[index] = _crashed(index, test, record, job, request, budgets[position])
                progressed = True
            elif job.crash is not None and job.crashed_position == -1 and test.is_expression:
                # The code's top level died before the expression tests could run.
                results[index] = _crashed(index, test, job.setup, job, request, setup_budget)
                progressed = True
            else:
                next_remaining.append(index)
        if not progressed:
            detail = job.crash_detail or "the runtime ended without running the tests"
            for index in next_remaining:
                test = tests[index]
                results[index] = _result(index, test, Verdict.INTERNAL_ERROR, None, detail)
            break
        remaining = next_remaining

    ordered = [results[i] for i in range(len(tests))]
    failed = next((r for r in ordered if r.verdict is not Verdict.ACCEPTED), None)
    verdict = (
        Verdict.COMPILATION_ERROR
        if compile_error
        else (failed.verdict if failed else Verdict.ACCEPTED)
    )
    return ExecutionResult(
        language=runtime.id,
        runtime_version=runtime_version,
        verdict=verdict,
        overall_status=TestStatus.PASSED if verdict is Verdict.ACCEPTED else TestStatus.FAILED,
        results=ordered,
        total_execution_time_ms=round((time.perf_counter() - started) * 1000, 3),
        compile_error=compile_error,
        setup_output=setup_output,
        analysis=runtime.analyze(request.code) if request.analyze else None,
        instances=instances,
    )
