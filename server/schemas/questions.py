"""Question bank bodies: multiple choice, free text and coding questions, and their versions.

Assessments refer to questions by ID. A question is versioned: editing it creates a new version,
and an attempt keeps the versions it started with (`version` says which one a body shows).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from server.schemas.common import OutModel, WireModel

QuestionType = Literal["multiple_choice", "free_text", "coding"]
Difficulty = Literal["easy", "medium", "hard"]
# The languages the server's sandbox grades; a coding question allows a subset.
Language = Literal["python", "javascript"]

Skill = Annotated[str, Field(min_length=1, max_length=50)]
Skills = Annotated[list[Skill], Field(default_factory=list, max_length=30)]
Points = Annotated[float, Field(gt=0, le=1000)]
# Minutes, as the spec's `timeLimit` of questions and assessments.
Minutes = Annotated[int, Field(ge=1, le=1440)]


class ChoiceOption(WireModel):
    id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)
    correct: bool = False


class TestCase(WireModel):
    """One check of a coding answer, in one of the execution API's two forms.

    Expression form: `{"input": "fibonacci(10)", "expectedOutput": "55"}`, the expression is
    evaluated after the candidate's code and its value compared. Program form:
    `{"stdin": "3 4\\n", "expectedOutput": "7"}`, the program reads stdin and prints.
    """

    __test__ = False  # not a pytest class, whatever its name

    input: str | None = Field(default=None, max_length=10_000)
    stdin: str | None = Field(default=None, max_length=100_000)
    expected_output: str = Field(max_length=100_000)
    visibility: Literal["sample", "hidden"] = "hidden"
    weight: float = Field(default=1.0, gt=0, le=1000)
    name: str | None = Field(default=None, max_length=200)
    # Per-test limit in milliseconds (the execution API's `timeout`); the question's otherwise.
    timeout: int | None = Field(default=None, ge=10, le=60_000)

    @model_validator(mode="after")
    def _one_form(self) -> TestCase:
        if (self.input is None) == (self.stdin is None):
            raise ValueError("a test case has either 'input' (an expression) or 'stdin'")
        return self


class _QuestionFields(WireModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    points: Points = 10
    time_limit: Minutes | None = None
    difficulty: Difficulty = "medium"
    skills: Skills


class MultipleChoiceQuestion(_QuestionFields):
    type: Literal["multiple_choice"]
    options: list[ChoiceOption] = Field(min_length=2, max_length=26)
    # With several correct options: score the share of them chosen (wrong picks cancel right
    # ones) instead of all-or-nothing.
    partial_credit: bool = False

    @model_validator(mode="after")
    def _check_options(self) -> MultipleChoiceQuestion:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError("option ids must be unique")
        if not any(o.correct for o in self.options):
            raise ValueError("at least one option must be correct")
        return self


class FreeTextQuestion(_QuestionFields):
    type: Literal["free_text"]
    max_length: int = Field(default=10_000, ge=1, le=100_000)
    # Optional provisional score: the share of these keywords the answer mentions. A reviewer's
    # score replaces it.
    keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class CodingQuestion(_QuestionFields):
    type: Literal["coding"]
    languages: list[Language] = Field(min_length=1)
    # Starting code per language; a language without one starts empty.
    templates: dict[Language, str] = Field(default_factory=dict)
    test_cases: list[TestCase] = Field(min_length=1, max_length=100)
    # Limits of one run of the candidate's code.
    time_limit_ms: int = Field(default=5000, ge=100, le=60_000)
    memory_limit_mb: int = Field(default=128, ge=16, le=1024)

    @model_validator(mode="after")
    def _check(self) -> CodingQuestion:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages must be unique")
        extra = sorted(set(self.templates) - set(self.languages))
        if extra:
            raise ValueError(f"templates given for languages not allowed: {extra}")
        return self


QuestionCreate = Annotated[
    MultipleChoiceQuestion | FreeTextQuestion | CodingQuestion, Field(discriminator="type")
]
QuestionBody = MultipleChoiceQuestion | FreeTextQuestion | CodingQuestion


class QuestionOut(OutModel):
    """A question as its company sees it: every field, answers and hidden tests included."""

    id: str
    company_id: str
    version: int
    type: QuestionType
    title: str
    description: str
    points: float
    time_limit: int | None
    difficulty: str
    skills: list[str]
    # The type's own fields (options, keywords, languages, templates, testCases, limits).
    options: list[ChoiceOption] | None = None
    partial_credit: bool | None = None
    max_length: int | None = None
    keywords: list[str] | None = None
    languages: list[str] | None = None
    templates: dict[str, str] | None = None
    test_cases: list[TestCase] | None = None
    time_limit_ms: int | None = None
    memory_limit_mb: int | None = None
    created_at: datetime
    updated_at: datetime


class QuestionSummary(OutModel):
    """How an assessment lists its questions (the spec's Get Assessment Details)."""

    id: str
    type: str
    title: str
    difficulty: str
    points: float
    time_limit: int | None
    version: int
