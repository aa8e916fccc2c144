"""Code Execution API bodies, as the spec's `POST /api/execution/run` example shows them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, StrictInt, field_validator, model_validator

from server.schemas.common import OutModel, WireModel
from server.schemas.questions import Language

MAX_CODE_BYTES = 256 * 1024
# No runtime takes a NUL in source code; said plainly instead of a garbled compile error.
NUL = "\x00"
NUL_MESSAGE = "code must not contain NUL characters"


class ExecutionTestCase(WireModel):
    """Expression form (`input` evaluated after the code, its value printed) or stdin form."""

    input: str | None = Field(default=None, max_length=10_000, examples=["fibonacci(10)"])
    stdin: str | None = Field(default=None, max_length=1_000_000)
    expected_output: str | None = Field(default=None, max_length=1_000_000, examples=["55"])
    timeout: int | None = Field(
        default=None,
        ge=1,
        strict=True,
        description="ms, this test; above the server's maximum it is clamped",
    )
    comparison: Literal["exact", "trimmed", "float"] = "trimmed"
    tolerance: float = Field(default=1e-6, ge=0, le=1)

    @model_validator(mode="after")
    def _one_form(self) -> ExecutionTestCase:
        if self.input is not None and self.stdin is not None:
            raise ValueError("a test case has either input (an expression) or stdin, not both")
        return self


class CodeSubmission(WireModel):
    language: str = Field(min_length=1, max_length=32, examples=["python", "javascript"])
    code: str = Field(min_length=1, max_length=MAX_CODE_BYTES)

    @field_validator("code")
    @classmethod
    def _code_fits(cls, code: str) -> str:
        if not code.strip():
            raise ValueError("code is empty")
        if NUL in code:
            raise ValueError(NUL_MESSAGE)
        if len(code.encode("utf-8", "surrogatepass")) > MAX_CODE_BYTES:
            raise ValueError(f"code is larger than {MAX_CODE_BYTES // 1024} KB")
        return code


class ExecutionRunRequest(CodeSubmission):
    test_cases: list[ExecutionTestCase] = Field(default_factory=list, max_length=100)
    # Strict: `true` or "5000" is not a time limit.
    time_limit: int = Field(
        default=5000,
        ge=1,
        strict=True,
        description="ms per test; above the server's maximum it is clamped",
    )
    memory_limit: str | StrictInt = Field(
        default="128MB",
        examples=["128MB"],
        description="bytes, or a size such as 128MB; above the server's maximum it is clamped",
    )

    @field_validator("memory_limit")
    @classmethod
    def _short_size(cls, size: str | int) -> str | int:
        # A size with hundreds of digits overflows a float when it is parsed.
        if isinstance(size, str) and len(size) > 32:
            raise ValueError("memory limit is not a size such as 128MB")
        return size


class ExecutionSubmitRequest(CodeSubmission):
    """Grade an attempt's coding question against its hidden tests."""

    language: Language
    question_id: str = Field(min_length=1, max_length=64)
    attempt_id: str = Field(min_length=1, max_length=64)


class TestCaseResult(OutModel):
    test_case: int = Field(description="1-based, as in the request")
    status: Literal["passed", "failed"]
    verdict: str = Field(examples=["accepted", "wrong_answer", "time_limit_exceeded"])
    output: str
    expected_output: str | None = None
    error: str | None = None
    output_truncated: bool = False
    execution_time: float = Field(description="ms")
    memory_used: str = Field(examples=["2.1MB"])


class CodeAnalysisOut(OutModel):
    complexity: str
    suggestions: list[str]
    quality_score: float


class ClampedLimit(OutModel):
    field: str
    requested: int
    applied: int


class ExecutionOut(OutModel):
    execution_id: str
    language: str
    runtime_version: str
    results: list[TestCaseResult]
    overall_status: Literal["passed", "failed"]
    verdict: str
    compile_error: str | None = None
    total_execution_time: float = Field(description="ms")
    code_analysis: CodeAnalysisOut | None = None
    clamped: list[ClampedLimit] = Field(
        default_factory=list, description="limits lowered to the server's maxima"
    )
    created_at: datetime


class LanguageOut(OutModel):
    id: str
    name: str
    version: str
    runtime: str
    aliases: list[str]
    file_extension: str
    installed: bool
