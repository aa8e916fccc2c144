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

from app.attempt import Connection, finish, start_attempt, start_proctoring
from sync.errors import EllaAIError
from sync.journal import AttemptRecord

DEFAULT_DATA_DIR = Path.home() / ".ellaai" / "headless"


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


def take(
    *,
    server: str,
    invite: str,
    answers: dict[str, Any],
    video: Path | None,
    data_dir: Path,
    timeout: float,
) -> dict[str, Any]:
    conn = Connection.open(server, data_dir)
    journal, engine = conn.journal, conn.engine
    try:
        attempt = journal.attempt() or start_attempt(conn, invite)
        engine.track(attempt.id)
        engine.start()
        session_id = attempt.session_id
        if attempt.status == "in_progress":
            session_id = _proctor_and_answer(conn, attempt, answers, video)
        if not engine.flush(timeout):
            raise EllaAIError(
                f"{journal.pending_count()} changes could not be sent in {timeout:.0f} s; "
                "run the command again to carry on"
            )
        result = conn.client.assessments.get_attempt_result(attempt.id)
        journal.set_attempt_status(attempt.id, "completed", None)
        return {
            **result,
            "sessionId": session_id,
            "events": journal.event_count(session_id) if session_id else 0,
            "deviceId": journal.device_id,
            "outbox": journal.outbox_status(),
        }
    finally:
        conn.close()


def _proctor_and_answer(
    conn: Connection, attempt: AttemptRecord, answers: dict[str, Any], video: Path | None
) -> str:
    proctor = start_proctoring(conn, attempt, video=video, camera=None)
    try:
        latest = {a["questionId"]: a["answer"] for a in conn.journal.answers(attempt.id)}
        for question_id, answer in answers.items():
            if latest.get(question_id) != answer:  # a resumed run does not save twice
                conn.journal.save_answer(attempt, question_id, answer)
                conn.engine.wake()
        if proctor.worker is not None:
            while proctor.worker.status == "running":
                time.sleep(0.1)
    except BaseException:
        proctor.stop()  # not submitted: a run again carries on
        raise
    finish(conn, attempt, proctor)
    return proctor.session.session_id
