"""`python -m app take`: take an assessment without a window, with the desktop app's own parts.

    python -m app take --server http://127.0.0.1:8000 --invite TOKEN --answers answers.json \\
        [--video interview.mp4] [--data-dir DIR] [--json]

Signs in with the invitation, starts the attempt, answers from a JSON file (question ID to
answer), runs proctoring on the video file when given, completes and prints the result. The
journal, the sync engine and the proctoring session are exactly those the desktop app uses: every
answer and event is journaled before it is sent, so the command can be killed at any point and run
again with the same `--data-dir` to carry on where it stopped (the invitation is used once; the
tokens it gave are kept in the journal).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from proctoring.config import ProctoringConfig
from proctoring.proctor import Proctor
from proctoring.sources import VideoFileSource
from sync.client import EllaAI
from sync.engine import SyncEngine
from sync.errors import EllaAIError
from sync.journal import AttemptRecord, Journal

DEFAULT_DATA_DIR = Path.home() / ".ellaai" / "headless"
TOKENS_KEY = "tokens"
USER_KEY = "user"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ella-app take", description=__doc__.split("\n\n")[0])
    p.add_argument("--server", required=True, help="server base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--invite", required=True, help="the invitation token (or the whole link)")
    p.add_argument("--answers", required=True, type=Path, help="JSON: question ID -> answer")
    p.add_argument("--video", type=Path, help="a video file to proctor instead of a camera")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="journal directory")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for sync")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        answers = json.loads(args.answers.read_text(encoding="utf-8"))
        if not isinstance(answers, dict):
            raise ValueError("the answers file must hold an object: question ID -> answer")
        result = take(
            server=args.server,
            invite=args.invite,
            answers=answers,
            video=args.video,
            data_dir=args.data_dir,
            timeout=args.timeout,
        )
    except (OSError, ValueError, EllaAIError) as error:
        print(f"ella-app take: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(
            f"attempt {result['attemptId']}: {result['status']}, score {result['totalScore']}"
            f"/{result['maxScore']} ({result['percentage']}%); proctoring session "
            f"{result['sessionId']}: {result['events']} events journaled"
        )
    return 0


def api_url(server: str) -> str:
    base = server.rstrip("/")
    return base if base.endswith(("/api", "/v1")) else f"{base}/api"


def invite_token(invite: str) -> str:
    """The token alone, from a token or an invitation link (`.../take/<id>?token=...`)."""
    return invite.split("token=", 1)[1].split("&", 1)[0] if "token=" in invite else invite


def take(
    *,
    server: str,
    invite: str,
    answers: dict[str, Any],
    video: Path | None,
    data_dir: Path,
    timeout: float,
) -> dict[str, Any]:
    journal = Journal(data_dir)
    stored = journal.get_meta(TOKENS_KEY)
    client = EllaAI(
        base_url=api_url(server),
        token=stored["access"] if stored else None,
        refresh_token=stored["refresh"] if stored else None,
        on_tokens=lambda t: journal.set_meta(
            TOKENS_KEY, {"access": t.access, "refresh": t.refresh}
        ),
    )
    engine = SyncEngine(journal, client)
    try:
        attempt = journal.attempt() or _start(journal, client, invite)
        engine.track(attempt.id)
        engine.start()
        session_id = attempt.session_id
        if attempt.status == "in_progress":
            session_id = _proctor_and_answer(journal, engine, attempt, answers, video)
        if not engine.flush(timeout):
            raise EllaAIError(
                f"{journal.pending_count()} changes could not be sent in {timeout:.0f} s; "
                "run the command again to carry on"
            )
        result = client.assessments.get_attempt_result(attempt.id)
        journal.set_attempt_status(attempt.id, "completed", None)
        return {
            **result,
            "sessionId": session_id,
            "events": journal.event_count(session_id) if session_id else 0,
            "deviceId": journal.device_id,
            "outbox": journal.outbox_status(),
        }
    finally:
        engine.stop()
        client.close()
        journal.close()


def _start(journal: Journal, client: EllaAI, invite: str) -> AttemptRecord:
    """Sign in (once: the invitation is single-use) and start, keeping what resuming needs."""
    user = journal.get_meta(USER_KEY)
    if user is None:
        client.auth.login(invite_token=invite_token(invite))
        user = client.auth.me()
        journal.set_meta(USER_KEY, user)
    assessment_id = user.get("assessmentId")
    if not assessment_id:
        raise EllaAIError("this sign-in is not a candidate's invitation")
    return journal.store_attempt(assessment_id, client.assessments.start(assessment_id))


def _proctor_and_answer(
    journal: Journal,
    engine: SyncEngine,
    attempt: AttemptRecord,
    answers: dict[str, Any],
    video: Path | None,
) -> str:
    settings = {"recordVideo": video is not None, "detectFaceMovement": True}
    session_id = journal.open_session(attempt, settings)
    proctor = Proctor(
        session_id,
        ProctoringConfig.for_assessment(settings),
        camera=None,
        source=VideoFileSource(video) if video else None,
    )

    journal.follow(proctor.session, engine.wake)
    proctor.start()
    try:
        latest = {a["questionId"]: a["answer"] for a in journal.answers(attempt.id)}
        for question_id, answer in answers.items():
            if latest.get(question_id) != answer:  # a resumed run does not save twice
                journal.save_answer(attempt, question_id, answer)
                engine.wake()
        if proctor.worker is not None:
            while proctor.worker.status == "running":
                time.sleep(0.1)
    finally:
        proctor.stop()
    journal.end_session(session_id)
    journal.complete(attempt)
    engine.wake()
    return session_id
