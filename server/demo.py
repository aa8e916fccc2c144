"""Demo data: a company, a recruiter, a question bank, an active proctored assessment and an
invited candidate. `python -m server seed-demo` runs it and prints what to sign in with.

Idempotent: running it again finds what exists (by names and emails) and adds only what is
missing. The invitation token it returns is always usable: the open invitation's, or a new one
when the previous was spent on a login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.assessments import service as assessments
from server.assessments.models import Assessment
from server.auth.models import User
from server.candidates import invitations
from server.candidates import service as candidates
from server.candidates.models import Candidate
from server.companies.models import Company
from server.deps import Actor, ServerContext, user_actor
from server.ids import new_id
from server.permissions import Role
from server.questions import service as questions
from server.questions.models import Question
from server.schemas.assessments import AssessmentCreate, AssessmentSettings
from server.schemas.candidates import CandidateCreate, CandidateProfile, InviteRequest
from server.schemas.questions import QuestionBody, QuestionCreate

COMPANY_NAME = "TechCorp Inc. (demo)"
COMPANY_EMAIL = "hello@techcorp.example.com"
RECRUITER_EMAIL = "recruiter@techcorp.example.com"
RECRUITER_PASSWORD = "ella-demo-password"
CANDIDATE_EMAIL = "john.doe@example.com"
ASSESSMENT_TITLE = "Senior Python Developer Assessment"

QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "coding",
        "title": "Fibonacci numbers",
        "description": "Write `fibonacci(n)` that returns the n-th Fibonacci number "
        "(fibonacci(0) == 0, fibonacci(1) == 1). It must be fast for n up to 80.",
        "points": 50,
        "timeLimit": 30,
        "difficulty": "medium",
        "skills": ["python", "algorithms"],
        "languages": ["python"],
        "templates": {"python": "def fibonacci(n):\n    # Your implementation here\n    pass\n"},
        "testCases": [
            {"input": "fibonacci(0)", "expectedOutput": "0", "visibility": "sample"},
            {"input": "fibonacci(10)", "expectedOutput": "55", "visibility": "sample"},
            {"input": "fibonacci(1)", "expectedOutput": "1"},
            {"input": "fibonacci(30)", "expectedOutput": "832040", "weight": 2},
            {"input": "fibonacci(80)", "expectedOutput": "23416728348467685", "weight": 2},
        ],
    },
    {
        "type": "coding",
        "title": "Sum of an array",
        "description": "Write `sumArray(numbers)` that returns the sum of an array of numbers "
        "(0 for an empty array).",
        "points": 30,
        "timeLimit": 15,
        "difficulty": "easy",
        "skills": ["javascript"],
        "languages": ["javascript"],
        "templates": {"javascript": "function sumArray(numbers) {\n  // Your code here\n}\n"},
        "testCases": [
            {"input": "sumArray([1, 2, 3])", "expectedOutput": "6", "visibility": "sample"},
            {"input": "sumArray([])", "expectedOutput": "0", "visibility": "sample"},
            {"input": "sumArray([-5, 5, 10])", "expectedOutput": "10"},
            {"input": "sumArray([0.5, 0.25])", "expectedOutput": "0.75"},
        ],
    },
    {
        "type": "multiple_choice",
        "title": "Python mutability",
        "description": "Which of these built-in types are immutable?",
        "points": 20,
        "timeLimit": 3,
        "difficulty": "easy",
        "skills": ["python"],
        "partialCredit": True,
        "options": [
            {"id": "tuple", "text": "tuple", "correct": True},
            {"id": "frozenset", "text": "frozenset", "correct": True},
            {"id": "list", "text": "list"},
            {"id": "dict", "text": "dict"},
        ],
    },
    {
        "type": "multiple_choice",
        "title": "Big-O of dict lookup",
        "description": "What is the average time complexity of `key in some_dict`?",
        "points": 10,
        "timeLimit": 2,
        "difficulty": "easy",
        "skills": ["python", "algorithms"],
        "options": [
            {"id": "a", "text": "O(1)", "correct": True},
            {"id": "b", "text": "O(log n)"},
            {"id": "c", "text": "O(n)"},
        ],
    },
    {
        "type": "multiple_choice",
        "title": "JavaScript equality",
        "description": "What does `[] == false` evaluate to?",
        "points": 10,
        "timeLimit": 2,
        "difficulty": "medium",
        "skills": ["javascript"],
        "options": [
            {"id": "true", "text": "true", "correct": True},
            {"id": "false", "text": "false"},
            {"id": "error", "text": "It throws a TypeError"},
        ],
    },
    {
        "type": "free_text",
        "title": "Designing a rate limiter",
        "description": "Describe how you would limit each API client to 100 requests a minute "
        "across several server processes.",
        "points": 30,
        "timeLimit": 15,
        "difficulty": "hard",
        "skills": ["system-design"],
        "keywords": ["token bucket", "redis", "atomic"],
    },
]

_question = TypeAdapter[QuestionBody](QuestionCreate)


@dataclass(frozen=True)
class DemoData:
    company_id: str
    recruiter_email: str
    recruiter_password: str
    assessment_id: str
    candidate_id: str
    invite_token: str
    # question title -> ID, so scripts can answer the demo by what the questions ask
    question_ids: dict[str, str]


def seed_demo(context: ServerContext) -> DemoData:
    with context.sessions() as db:
        company = _company(db)
        recruiter = _recruiter(db, context, company)
        actor = user_actor(recruiter, None)
        question_ids = [_bank_question(db, actor, body) for body in QUESTIONS]
        assessment_id = _assessment(db, actor, question_ids)
        candidate_id = _candidate(db, actor, context)
        candidate = db.get(Candidate, candidate_id)
        assert candidate is not None
        _, token, _ = invitations.invite(
            db,
            actor=actor,
            settings=context.settings,
            mail=context.mail,
            candidate=candidate,
            data=InviteRequest(
                assessment_id=assessment_id,
                message="Hi John, please complete this assessment for the Senior Developer role.",
            ),
        )
        db.commit()
        return DemoData(
            company_id=company.id,
            recruiter_email=RECRUITER_EMAIL,
            recruiter_password=RECRUITER_PASSWORD,
            assessment_id=assessment_id,
            candidate_id=candidate_id,
            invite_token=token,
            question_ids={
                str(body["title"]): qid for body, qid in zip(QUESTIONS, question_ids, strict=True)
            },
        )


def _company(db: Session) -> Company:
    company = db.scalar(select(Company).where(Company.email == COMPANY_EMAIL))
    if company is None:
        company = Company(
            id=new_id("company"),
            name=COMPANY_NAME,
            email=COMPANY_EMAIL,
            domain="techcorp.example.com",
            plan="pro",
            setup_complete=True,
        )
        db.add(company)
        db.commit()
    return company


def _recruiter(db: Session, context: ServerContext, company: Company) -> User:
    user = db.scalar(select(User).where(User.email == RECRUITER_EMAIL))
    if user is None:
        user = User(
            id=new_id("user"),
            email=RECRUITER_EMAIL,
            password_hash=context.passwords.hash(RECRUITER_PASSWORD),
            role=Role.RECRUITER.value,
            company_id=company.id,
            extra_permissions=["company:manage", "members:manage"],
            first_name="Jane",
            last_name="Smith",
            status="active",
        )
        db.add(user)
        db.commit()
    return user


def _bank_question(db: Session, actor: Actor, body: dict[str, Any]) -> str:
    existing = db.scalar(
        select(Question.id).where(
            Question.company_id == actor.company_id,
            Question.title == body["title"],
            Question.deleted_at.is_(None),
        )
    )
    if existing is not None:
        return existing
    return questions.create_question(db, actor=actor, data=_question.validate_python(body)).id


def _assessment(db: Session, actor: Actor, question_ids: list[str]) -> str:
    existing = db.scalar(
        select(Assessment.id).where(
            Assessment.company_id == actor.company_id,
            Assessment.title == ASSESSMENT_TITLE,
            Assessment.status == "active",
        )
    )
    if existing is not None:
        return existing
    return assessments.create_assessment(
        db,
        actor=actor,
        data=AssessmentCreate(
            title=ASSESSMENT_TITLE,
            description="Python and JavaScript fundamentals, an algorithm, and a design question.",
            position_id="senior-python-developer",
            questions=question_ids,
            time_limit=60,
            difficulty="medium",
            skills=["python", "javascript", "algorithms"],
            settings=AssessmentSettings(
                allow_retakes=False,
                randomize_questions=True,
                show_results=True,
                proctoring_enabled=True,
            ),
            status="active",
        ),
    ).id


def _candidate(db: Session, actor: Actor, context: ServerContext) -> str:
    existing = db.scalar(
        select(Candidate.id).where(
            Candidate.company_id == actor.company_id, Candidate.email == CANDIDATE_EMAIL
        )
    )
    if existing is not None:
        return existing
    return candidates.create_candidate(
        db,
        actor=actor,
        settings=context.settings,
        mail=context.mail,
        data=CandidateCreate(
            email=CANDIDATE_EMAIL,
            first_name="John",
            last_name="Doe",
            position_id="senior-python-developer",
            profile=CandidateProfile(
                experience=5,
                skills=["python", "javascript", "react"],
                location="San Francisco, CA",
                github="https://github.com/johndoe",
            ),
            source="linkedin",
            referred_by=RECRUITER_EMAIL,
        ),
    ).id
