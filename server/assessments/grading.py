"""Scoring one answer against the question version its attempt pinned.

Multiple choice is scored at once; free text waits for a reviewer unless the question lists
keywords (then a provisional score); coding answers run in the sandbox through a `CodeRunner`
(`server.assessments.code_runner` is the only module that knows the engine).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from server.errors import ValidationFailed
from server.schemas.assessments import TestOutcome
from server.schemas.execution import NUL, NUL_MESSAGE
from server.schemas.questions import (
    CodingQuestion,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    QuestionBody,
    TestCase,
)

AnswerStatus = Literal["graded", "pending_review", "grading_unavailable"]


class GradingUnavailable(Exception):
    """The sandbox could not grade now (busy, a runtime missing, an internal failure)."""


@dataclass(frozen=True)
class TestRun:
    """What running the candidate's code against one test case gave."""

    __test__ = False

    # passed | failed | error | timeout | memory_exceeded
    status: str
    output: str | None = None
    error: str | None = None
    time_ms: float | None = None


@dataclass(frozen=True)
class CodeReport:
    runs: list[TestRun]
    # Static analysis suggestions ("Consider memoisation..."), best first.
    suggestions: list[str] = field(default_factory=list)


class CodeRunner(Protocol):
    """Runs code against test cases with the question's limits; one call per submission."""

    def run(
        self,
        *,
        language: str,
        code: str,
        tests: Sequence[TestCase],
        time_limit_ms: int,
        memory_limit_mb: int,
    ) -> CodeReport: ...


@dataclass(frozen=True)
class Graded:
    status: AnswerStatus
    score: float | None
    feedback: str | None
    details: dict[str, Any] = field(default_factory=dict)
    tests: list[TestOutcome] | None = None


def stored(
    status: AnswerStatus, score: float | None, feedback: str | None, details: dict[str, Any]
) -> Graded:
    """A saved answer's grading as it was given, with its test verdicts read back."""
    tests = details.get("tests")
    outcomes = [TestOutcome.model_validate(t) for t in tests] if tests is not None else None
    return Graded(status, score, feedback, details, outcomes)


def normalised_answer(question: QuestionBody, answer: str | list[str]) -> str | list[str]:
    """The answer in the form its question type expects, or a 422 saying what is wrong."""
    if isinstance(question, MultipleChoiceQuestion):
        chosen = [answer] if isinstance(answer, str) else list(answer)
        known = {o.id for o in question.options}
        unknown = [c for c in chosen if c not in known]
        if unknown or not chosen:
            raise ValidationFailed(
                "The answer must name options of this question",
                details={"field": "answer", "message": "unknown option", "value": unknown},
            )
        return sorted(set(chosen))
    if not isinstance(answer, str):
        raise ValidationFailed(
            f"A {question.type} answer is a string",
            details={"field": "answer", "message": "expected a string", "value": answer},
        )
    if isinstance(question, CodingQuestion) and NUL in answer:
        raise ValidationFailed(
            NUL_MESSAGE, details={"field": "answer", "message": NUL_MESSAGE, "value": None}
        )
    if isinstance(question, FreeTextQuestion) and len(answer) > question.max_length:
        raise ValidationFailed(
            f"The answer is longer than {question.max_length} characters",
            details={"field": "answer", "message": "too long", "value": len(answer)},
        )
    return answer


def answer_language(question: QuestionBody, language: str | None) -> str | None:
    if not isinstance(question, CodingQuestion):
        return None
    if language is None:
        if len(question.languages) == 1:
            return question.languages[0]
        raise ValidationFailed(
            "This question allows several languages; say which one with 'language'",
            details={"field": "language", "message": "required", "value": None},
        )
    if language not in question.languages:
        raise ValidationFailed(
            f"This question accepts {', '.join(question.languages)}",
            details={"field": "language", "message": "not allowed", "value": language},
        )
    return language


def grade_choice(question: MultipleChoiceQuestion, chosen: list[str]) -> Graded:
    correct = {o.id for o in question.options if o.correct}
    picked = set(chosen)
    if picked == correct:
        share = 1.0
    elif question.partial_credit and len(correct) > 1:
        # Each right pick earns its share; each wrong pick takes one back.
        share = max(0.0, (len(picked & correct) - len(picked - correct)) / len(correct))
    else:
        share = 0.0
    score = round(question.points * share, 2)
    if share == 1.0:
        feedback = "Correct."
    elif share > 0:
        feedback = f"Partly correct: {len(picked & correct)} of {len(correct)} right options."
    else:
        feedback = "Incorrect."
    return Graded("graded", score, feedback)


def grade_text(question: FreeTextQuestion, text: str) -> Graded:
    if not question.keywords:
        return Graded("pending_review", None, "Saved; a reviewer will score this answer.")
    lowered = text.lower()
    found = [k for k in question.keywords if k.lower() in lowered]
    score = round(question.points * len(found) / len(question.keywords), 2)
    return Graded(
        "pending_review",
        score,
        f"Provisional score from {len(found)} of {len(question.keywords)} expected key points;"
        " a reviewer confirms it.",
        details={"keywordsFound": found},
    )


def grade_code(question: CodingQuestion, code: str, language: str, runner: CodeRunner) -> Graded:
    if not code.strip():
        return Graded("graded", 0.0, "No code was submitted.")
    try:
        report = runner.run(
            language=language,
            code=code,
            tests=question.test_cases,
            time_limit_ms=question.time_limit_ms,
            memory_limit_mb=question.memory_limit_mb,
        )
    except GradingUnavailable:
        # Never a made-up score: the answer is kept and the sweep grades it later.
        return Graded(
            "grading_unavailable",
            None,
            "Saved. The code could not be run just now; it will be graded shortly.",
        )
    outcomes = [
        TestOutcome(
            index=i,
            visibility=case.visibility,
            status=run.status,
            weight=case.weight,
            # Hidden tests reveal nothing but their verdict.
            output=run.output if case.visibility == "sample" else None,
            expected_output=case.expected_output if case.visibility == "sample" else None,
            execution_time=run.time_ms,
        )
        for i, (case, run) in enumerate(zip(question.test_cases, report.runs, strict=True))
    ]
    total = sum(o.weight for o in outcomes)
    passed = sum(o.weight for o in outcomes if o.status == "passed")
    score = round(question.points * passed / total, 2) if total else 0.0
    return Graded(
        "graded",
        score,
        code_feedback(question.test_cases, report),
        details={"tests": [o.model_dump(mode="json", by_alias=True) for o in outcomes]},
        tests=outcomes,
    )


def code_feedback(cases: Sequence[TestCase], report: CodeReport) -> str:
    """One or two sentences from the verdicts and the code analysis."""
    counts: dict[str, tuple[int, int]] = {}
    for visibility in ("sample", "hidden"):
        pairs = [
            (c, r) for c, r in zip(cases, report.runs, strict=True) if c.visibility == visibility
        ]
        if pairs:
            counts[visibility] = (sum(r.status == "passed" for _, r in pairs), len(pairs))
    parts = [f"{passed} of {total} {kind} tests" for kind, (passed, total) in counts.items()]
    joined = " and ".join(parts)
    every = all(r.status == "passed" for r in report.runs)
    sentence = f"All tests pass ({joined})." if every else f"Passed {joined}."
    failures = [(c, r) for c, r in zip(cases, report.runs, strict=True) if r.status != "passed"]
    if failures:
        case, run = failures[0]
        sentence += " " + _failure_sentence(case, run)
    if report.suggestions:
        sentence += " " + report.suggestions[0].rstrip(".") + "."
    return sentence


def _failure_sentence(case: TestCase, run: TestRun) -> str:
    label = "A hidden test" if case.visibility == "hidden" else "A sample test"
    if run.status == "timeout":
        return f"{label} ran out of time; look for an infinite loop or a slow algorithm."
    if run.status == "memory_exceeded":
        return f"{label} ran out of memory."
    if run.status == "error":
        reason = (run.error or "").strip().splitlines()
        return f"{label} raised an error" + (f": {reason[-1]}" if reason else "") + "."
    if case.visibility == "sample":
        shown = case.input or "its input"
        return f"For {shown} it expected {case.expected_output!r} but got {run.output!r}."
    return f"{label} gave a wrong answer; check edge cases."
