"""Assessment bodies: create, update, batch, details, results; and a candidate's attempt
(start, submit answer, complete)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from server.schemas.common import OutModel, WireModel
from server.schemas.questions import (
    Difficulty,
    Language,
    Minutes,
    QuestionSummary,
    Skills,
)

AssessmentStatus = Literal["draft", "active", "archived"]
Ranking = Literal["top_10_percent", "top_25_percent", "top_50_percent", "bottom_50_percent"]
QuestionId = Annotated[str, Field(min_length=1, max_length=64)]


class AssessmentSettings(WireModel):
    allow_retakes: bool = False
    randomize_questions: bool = False
    show_results: bool = True
    proctoring_enabled: bool = False


class AssessmentSettingsUpdate(WireModel):
    """Merged into the stored settings: a field left out keeps its value."""

    allow_retakes: bool | None = None
    randomize_questions: bool | None = None
    show_results: bool | None = None
    proctoring_enabled: bool | None = None


class AssessmentCreate(WireModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20_000)
    # The caller's own company when left out; another company's is refused.
    company_id: str | None = Field(default=None, max_length=64)
    position_id: str | None = Field(default=None, max_length=64)
    # Question IDs from the company's question bank, in the order candidates see them.
    questions: list[QuestionId] = Field(default_factory=list, max_length=200)
    time_limit: Minutes | None = None
    difficulty: Difficulty = "medium"
    skills: Skills
    settings: AssessmentSettings = Field(default_factory=AssessmentSettings)
    status: Literal["draft", "active"] = "draft"


class AssessmentUpdate(WireModel):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20_000)
    position_id: str | None = Field(default=None, max_length=64)
    questions: list[QuestionId] | None = Field(default=None, max_length=200)
    time_limit: Minutes | None = None
    difficulty: Difficulty | None = None
    skills: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(
        default=None, max_length=30
    )
    settings: AssessmentSettingsUpdate | None = None
    status: AssessmentStatus | None = None


class AssessmentCreated(OutModel):
    id: str
    title: str
    status: str
    created_at: datetime
    question_count: int
    estimated_duration: int


class AssessmentSummary(OutModel):
    id: str
    title: str
    description: str
    company_id: str
    position_id: str | None
    status: str
    difficulty: str
    time_limit: int | None
    skills: list[str]
    question_count: int
    estimated_duration: int
    completion_count: int
    average_score: float | None
    created_at: datetime
    updated_at: datetime


class AssessmentAnalytics(OutModel):
    total_attempts: int
    completed_attempts: int
    # Mean percentage of completed attempts.
    average_score: float | None
    # Mean minutes spent by completed attempts.
    average_time_spent: float | None
    completion_rate: float


class AssessmentDetail(AssessmentSummary):
    # Shown to candidates, who may not read the company itself.
    company_name: str
    questions: list[QuestionSummary]
    settings: AssessmentSettings
    # Left out for candidates.
    analytics: AssessmentAnalytics | None


class BatchOperation(WireModel):
    action: Literal["create", "update", "delete"]
    id: str | None = Field(default=None, max_length=64)
    # Validated per operation (as AssessmentCreate or AssessmentUpdate), so one malformed
    # operation is reported without failing the others.
    data: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _shape(self) -> BatchOperation:
        if self.action == "create" and self.data is None:
            raise ValueError("a create operation needs 'data'")
        if self.action != "create" and self.id is None:
            raise ValueError(f"an {self.action} operation needs 'id'")
        if self.action == "update" and self.data is None:
            raise ValueError("an update operation needs 'data'")
        return self


class BatchRequest(WireModel):
    operations: list[BatchOperation] = Field(min_length=1, max_length=100)
    # All or nothing: when one operation fails, none is applied.
    atomic: bool = False


class BatchError(OutModel):
    code: str
    message: str
    details: Any = None


class BatchResult(OutModel):
    index: int
    action: str
    id: str | None
    # applied | failed | rolled_back (an atomic batch where another operation failed)
    status: Literal["applied", "failed", "rolled_back"]
    data: AssessmentSummary | None = None
    error: BatchError | None = None


class BatchResponse(OutModel):
    atomic: bool
    committed: bool
    applied: int
    failed: int
    results: list[BatchResult]


class CandidateRef(OutModel):
    id: str
    email: str
    first_name: str
    last_name: str


class AttemptResult(OutModel):
    attempt_id: str
    candidate: CandidateRef
    status: str
    score: float | None
    max_score: float
    percentage: float | None
    time_spent: int | None
    started_at: datetime
    completed_at: datetime | None
    ranking: Ranking | None


# -- attempts --------------------------------------------------------------------------------


class StartRequest(WireModel):
    # Required for staff starting on a candidate's behalf; a candidate may leave it out.
    candidate_id: str | None = Field(default=None, max_length=64)


class SampleTest(OutModel):
    input: str | None
    stdin: str | None
    expected_output: str


class PublicOption(OutModel):
    id: str
    text: str


class AttemptQuestion(OutModel):
    """A question as the candidate sees it: no correct options, no hidden tests."""

    id: str
    type: str
    title: str
    description: str
    time_limit: int | None
    points: float
    difficulty: str
    options: list[PublicOption] | None = None
    multiple_answers: bool | None = None
    max_length: int | None = None
    languages: list[str] | None = None
    # The first allowed language's starting code (the spec's field) and every language's.
    template: str | None = None
    templates: dict[str, str] | None = None
    sample_tests: list[SampleTest] | None = None
    time_limit_ms: int | None = None
    memory_limit_mb: int | None = None


class SavedAnswer(OutModel):
    question_id: str
    answer: Any
    language: str | None
    status: str
    score: float | None
    max_score: float
    feedback: str | None
    revision: int
    submitted_at: datetime


class AttemptOut(OutModel):
    attempt_id: str
    assessment_id: str
    candidate_id: str
    started_at: datetime
    expires_at: datetime
    time_remaining: int
    status: str
    current_question_index: int
    proctoring_enabled: bool
    questions: list[AttemptQuestion]
    answers: list[SavedAnswer]


class SubmitAnswerRequest(WireModel):
    attempt_id: str = Field(min_length=1, max_length=64)
    question_id: str = Field(min_length=1, max_length=64)
    # An option ID or a list of them (multiple choice), text (free text) or code (coding).
    answer: str | list[Annotated[str, Field(max_length=64)]] = Field(union_mode="left_to_right")
    language: Language | None = None
    # Seconds the candidate spent on the question, as the client measured it.
    time_spent: int | None = Field(default=None, ge=0, le=7 * 24 * 3600)

    @model_validator(mode="after")
    def _size(self) -> SubmitAnswerRequest:
        if isinstance(self.answer, str) and len(self.answer) > 200_000:
            raise ValueError("answer is longer than 200000 characters")
        if isinstance(self.answer, list) and len(self.answer) > 26:
            raise ValueError("too many options selected")
        return self


class TestOutcome(OutModel):
    """One test case's verdict; hidden tests show neither input nor expected output."""

    __test__ = False

    index: int
    visibility: str
    status: str
    weight: float
    output: str | None = None
    expected_output: str | None = None
    execution_time: float | None = None


class AnswerResult(OutModel):
    question_id: str
    # graded | pending_review (free text) | grading_unavailable (coding, no sandbox)
    status: str
    score: float | None
    max_score: float
    feedback: str | None
    tests: list[TestOutcome] | None = None
    revision: int
    next_question_id: str | None
    progress_percentage: int


class CompleteRequest(WireModel):
    attempt_id: str = Field(min_length=1, max_length=64)


class BreakdownItem(OutModel):
    score: float | None
    max_score: float
    status: str


class CompletionOut(OutModel):
    attempt_id: str
    submitted_at: datetime
    status: str
    # submitted | expired (completed by the server when time ran out)
    completion_reason: str
    # Null for a candidate when the assessment's `showResults` is off (`resultsHidden`).
    total_score: float | None
    max_score: float
    percentage: float | None
    time_spent: int
    breakdown: dict[str, BreakdownItem] | None
    ranking: Ranking | None
    # Answers still waiting for a reviewer (free text) count 0 until reviewed.
    pending_review: int
    results_hidden: bool = False


class ReviewRequest(WireModel):
    score: float = Field(ge=0)
    feedback: str | None = Field(default=None, max_length=10_000)
