"""A candidate's attempt over `sync`: the one flow the window (`app.service`) and the headless
runner (`app.headless`) share.

`Connection` opens the journal of a data directory, the SDK client (with the tokens the journal
kept) and the sync engine. `sign_in` uses the invitation once (it is single-use) and keeps the
user it named; `start_attempt` starts the assessment and keeps it (questions included) for
offline work; `start_proctoring` opens a journaled proctoring session; `finish` ends it and
journals the submission. Every write is committed to the journal before it returns and the engine
sends it in the background, so a killed process resumes from the journal alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctoring.config import ProctoringConfig
from proctoring.proctor import Proctor
from proctoring.sources import VideoFileSource
from sync.client import EllaAI
from sync.engine import SyncEngine
from sync.errors import EllaAIError
from sync.journal import AttemptRecord, Journal

TOKENS_KEY = "tokens"
USER_KEY = "user"
INVITE_KEY = "invite"


def invite_token(invite: str) -> str:
    """The token alone, from a token or an invitation link (`.../take/<id>?token=...`)."""
    token = invite.split("token=", 1)[1].split("&", 1)[0] if "token=" in invite else invite
    return token.strip()


@dataclass
class Connection:
    journal: Journal
    client: EllaAI
    engine: SyncEngine

    @classmethod
    def open(cls, server: str, data_dir: Path) -> Connection:
        journal = Journal(data_dir)
        stored = journal.get_meta(TOKENS_KEY)
        client = EllaAI(
            base_url=server,
            token=stored["access"] if stored else None,
            refresh_token=stored["refresh"] if stored else None,
            on_tokens=lambda t: journal.set_meta(
                TOKENS_KEY, {"access": t.access, "refresh": t.refresh}
            ),
        )
        return cls(journal, client, SyncEngine(journal, client))

    def close(self) -> None:
        self.engine.stop()
        self.client.close()
        self.journal.close()


def sign_in(conn: Connection, invite: str) -> dict[str, Any]:
    """The candidate the invitation names. The invitation is used once: the user and tokens it
    gave are kept in the journal, so a second call (or a restarted process) reuses them."""
    token = invite_token(invite)
    user = conn.journal.get_meta(USER_KEY)
    if user is None or conn.journal.get_meta(INVITE_KEY) not in (None, token):
        conn.client.auth.login(invite_token=token)
        user = conn.client.auth.me()
        conn.journal.set_meta(USER_KEY, user)
        conn.journal.set_meta(INVITE_KEY, token)
    if not isinstance(user, dict) or not user.get("assessmentId"):
        raise EllaAIError("this sign-in is not a candidate's invitation")
    return user


def start_attempt(conn: Connection, invite: str) -> AttemptRecord:
    """Start the invitation's assessment and keep the attempt for offline work."""
    assessment_id = str(sign_in(conn, invite)["assessmentId"])
    return conn.journal.store_attempt(assessment_id, conn.client.assessments.start(assessment_id))


def start_proctoring(
    conn: Connection, attempt: AttemptRecord, *, video: Path | None, camera: int | None
) -> Proctor:
    """A new proctoring session for this run (a restart ends the previous one), every event
    journaled and pushed; ``video`` wins over ``camera``; neither: no video at all."""
    settings = {"recordVideo": video is not None, "detectFaceMovement": True}
    session_id = conn.journal.open_session(attempt, settings)
    proctor = Proctor(
        session_id,
        ProctoringConfig.for_assessment(settings),
        camera=None if video is not None else camera,
        source=VideoFileSource(video) if video is not None else None,
    )
    conn.journal.follow(proctor.session, conn.engine.wake)
    proctor.start()
    return proctor


def finish(conn: Connection, attempt: AttemptRecord, proctor: Proctor | None) -> None:
    """Stop proctoring (its last events journaled), end its session, journal the submission."""
    if proctor is not None:
        proctor.stop()
        conn.journal.end_session(proctor.session.session_id)
    conn.journal.complete(attempt)
    conn.engine.wake()
