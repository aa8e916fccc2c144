"""Requests and results of the sandbox, as Pydantic models (the server maps them to camelCase).

A request names a language, the candidate's code and its test cases; every test case is either
an *expression* test (``input`` is evaluated after the code and its value printed) or a *stdin*
test (the whole program runs with ``stdin`` as standard input). Each test gets its own time
budget; memory and output limits apply per test too.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.compare import Comparison
from sandbox.errors import InvalidRequest
from sandbox.limits import Clamped, Maxima, parse_memory_limit

DEFAULT_TIME_LIMIT_MS = 5_000
DEFAULT_MEMORY_LIMIT_BYTES = 128 * 1024**2
DEFAULT_OUTPUT_LIMIT_BYTES = 64 * 1024


class Verdict(StrEnum):
    """A test's (or a submission's) outcome, as competitive judges name them."""

    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    TIME_LIMIT_EXCEEDED = "time_limit_exceeded"
    MEMORY_LIMIT_EXCEEDED = "memory_limit_exceeded"
    OUTPUT_LIMIT_EXCEEDED = "output_limit_exceeded"
    RUNTIME_ERROR = "runtime_error"
    COMPILATION_ERROR = "compilation_error"
    INTERNAL_ERROR = "internal_error"


class TestStatus(StrEnum):
    """The spec's per-test ``status`` and ``overallStatus``."""

    __test__ = False  # not a pytest class

    PASSED = "passed"
    FAILED = "failed"


class TestCase(BaseModel):
    """One test: an expression (``input``) or a stdin program (``stdin``), and what it prints."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    __test__ = False  # not a pytest class

    input: str | None = Field(
        default=None, description="expression evaluated after the code; its value is printed"
    )
    stdin: str | None = Field(default=None, description="standard input of the program")
    expected_output: str | None = Field(
        default=None, description="None: no comparison, the test passes when the code runs"
    )
    timeout_ms: int | None = Field(default=None, gt=0, description="overrides time_limit_ms")
    comparison: Comparison = Comparison.TRIMMED
    tolerance: float = Field(default=1e-6, ge=0)

    @property
    def is_expression(self) -> bool:
        return self.input is not None


class ExecutionRequest(BaseModel):
    """What to run, against which tests, within which limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    code: str
    test_cases: list[TestCase] = Field(default_factory=list)
    time_limit_ms: int = Field(default=DEFAULT_TIME_LIMIT_MS, gt=0, description="per test")
    memory_limit_bytes: int = Field(default=DEFAULT_MEMORY_LIMIT_BYTES, gt=0)
    output_limit_bytes: int = Field(
        default=DEFAULT_OUTPUT_LIMIT_BYTES, gt=0, description="stdout + stderr, per test"
    )
    analyze: bool = True

    @field_validator("memory_limit_bytes", mode="before")
    @classmethod
    def _memory(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_memory_limit(value)
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return value.strip().lower()

    @model_validator(mode="after")
    def _has_code(self) -> ExecutionRequest:
        if not self.code.strip():
            raise ValueError("code is empty")
        return self

    def budget_ms(self, test: TestCase) -> int:
        """The time budget of one test."""
        return test.timeout_ms or self.time_limit_ms


class TestResult(BaseModel):
    """The outcome of one test case."""

    model_config = ConfigDict(frozen=True)
    __test__ = False

    index: int = Field(description="0-based position in the request's test_cases")
    status: TestStatus
    verdict: Verdict
    output: str = ""
    expected_output: str | None = None
    error: str | None = Field(default=None, description="traceback, error message or limit hit")
    stderr: str = ""
    output_truncated: bool = False
    execution_time_ms: float = 0.0
    memory_used_bytes: int = 0


class CodeAnalysis(BaseModel):
    """Static analysis of the code (never runs it): complexity, suggestions, 0-10 score."""

    model_config = ConfigDict(frozen=True)

    complexity: str
    suggestions: list[str]
    quality_score: float


class ExecutionResult(BaseModel):
    """The outcome of a submission: per-test results and the overall verdict."""

    model_config = ConfigDict(frozen=True)

    language: str
    runtime_version: str
    verdict: Verdict
    overall_status: TestStatus
    results: list[TestResult]
    total_execution_time_ms: float
    compile_error: str | None = None
    setup_output: str = Field(
        default="", description="what the code printed at top level before expression tests"
    )
    analysis: CodeAnalysis | None = None
    instances: int = Field(default=0, description="WebAssembly instances used (1 unless a crash)")


class LanguageInfo(BaseModel):
    """A language the engine can run (``GET /api/execution/languages``)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    version: str
    runtime: str
    aliases: list[str]
    file_extension: str
    installed: bool
    detail: str = ""


def clamp_request(
    request: ExecutionRequest, maxima: Maxima
) -> tuple[ExecutionRequest, list[Clamped]]:
    """Lower the request's limits to ``maxima``; return the new request and what was lowered.

    Too many test cases or too much code cannot be clamped meaningfully: those raise
    :class:`sandbox.errors.InvalidRequest`.
    """
    if len(request.test_cases) > maxima.test_cases:
        raise InvalidRequest(
            f"at most {maxima.test_cases} test cases, got {len(request.test_cases)}"
        )
    if len(request.code.encode()) > maxima.code_bytes:
        raise InvalidRequest(f"code is larger than {maxima.code_bytes} bytes")
    clamped: list[Clamped] = []

    def low(name: str, value: int, top: int) -> int:
        if value > top:
            clamped.append(Clamped(name, value, top))
            return top
        return value

    tests = []
    for i, test in enumerate(request.test_cases):
        if test.timeout_ms is not None and test.timeout_ms > maxima.test_timeout_ms:
            clamped.append(
                Clamped(f"test_cases[{i}].timeout_ms", test.timeout_ms, maxima.test_timeout_ms)
            )
            test = test.model_copy(update={"timeout_ms": maxima.test_timeout_ms})
        tests.append(test)
    update = {
        "time_limit_ms": low("time_limit_ms", request.time_limit_ms, maxima.time_limit_ms),
        "memory_limit_bytes": low(
            "memory_limit_bytes", request.memory_limit_bytes, maxima.memory_limit_bytes
        ),
        "output_limit_bytes": low(
            "output_limit_bytes", request.output_limit_bytes, maxima.output_limit_bytes
        ),
        "test_cases": tests,
    }
    return request.model_copy(update=update), clamped
