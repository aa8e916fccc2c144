"""The local journal: one SQLite file (sqlite-utils, WAL) holding everything a candidate did.

Tables: `meta` (device ID, server clock offset, tokens), `assessments` and `attempts` as
downloaded, `answers` (every version of every answer), `events` (every proctoring event, as
chained by `proctoring`), and `outbox`: one row per change to send, numbered by `seq` (1, 2, ...
with no gaps, never reused), pointing at the row it sends. A write and its outbox row commit
together, and a method returns only after the commit: when `save_answer` returns, the answer
survives the app being killed.

One writer: every method takes the journal's lock, so the UI thread, the proctoring threads and
the sync engine can share one `Journal`.
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlite_utils import Database

from proctoring.events import ProctorEvent
from sync.errors import JournalError

FILENAME = "journal.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assessments (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attempts (
    id TEXT PRIMARY KEY,
    assessment_id TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    session_id TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id TEXT NOT NULL,
    question_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    answer TEXT NOT NULL,
    language TEXT,
    time_spent INTEGER,
    saved_at TEXT NOT NULL,
    UNIQUE (attempt_id, question_id, version)
);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    body TEXT NOT NULL,
    snapshot BLOB,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (status, seq);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _answer_fields(
    assessment_id: str,
    attempt_id: str,
    question_id: str,
    answer: str,
    language: str | None,
    time_spent: int | None,
    saved_at: str,
) -> dict[str, Any]:
    fields = {
        "assessmentId": assessment_id,
        "attemptId": attempt_id,
        "questionId": question_id,
        "answer": json.loads(answer),
        "savedAt": saved_at,
        "language": language,
        "timeSpent": time_spent,
    }
    return {k: v for k, v in fields.items() if v is not None}


def _event_entry(seq: int, session_id: str, body: str, snapshot: bytes | None) -> str:
    """An event's push entry around its journaled JSON as stored: decoding and re-encoding
    10,000 events was most of the client's share of an offline flush. The stored body is a JSON
    object (`record_event`), so a snapshot goes in as its last key."""
    if snapshot is not None:
        body = f'{body.rstrip()[:-1]},"snapshotJpeg":"{base64.b64encode(snapshot).decode()}"}}'
    return f'{{"seq":{seq},"kind":"event","sessionId":{json.dumps(session_id)},"event":{body}}}'


class EventSource(Protocol):
    """What `follow` needs of `proctoring.session.ProctoringSession` (not imported: OpenCV)."""

    session_id: str

    @property
    def events(self) -> list[ProctorEvent]: ...

    def subscribe(self, callback: Callable[[ProctorEvent], None]) -> Callable[[], None]: ...


@dataclass(frozen=True)
class OutboxItem:
    """One pending change, ready to go on the wire as a push entry."""

    seq: int
    kind: str
    wire: str  # the entry as ASCII JSON, camelCase, as `server.schemas.sync.Entry` reads it

    @property
    def size(self) -> int:
        """Bytes it adds to a batch (the separating comma included)."""
        return len(self.wire) + 1


@dataclass(frozen=True)
class AttemptRecord:
    id: str
    assessment_id: str
    status: str
    expires_at: datetime
    session_id: str | None
    body: dict[str, Any]


class Journal:
    """The journal of one data directory. Thread-safe; open one per process."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / FILENAME
        try:
            conn = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self.db = Database(conn)
            self.db.enable_wal()
            # FULL: a commit is on disk, not only in the OS cache, before "saved" is shown.
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise JournalError(f"cannot open the journal at {self.path}: {exc}") from exc
        self._lock = threading.RLock()
        self.device_id = self._device_id()

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction under the writer lock; sqlite errors become `JournalError`."""
        with self._lock:
            try:
                with self.db.atomic():
                    yield self.db.conn
            except sqlite3.Error as exc:
                raise JournalError(f"journal write failed: {exc}") from exc

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self.db.execute(sql, params).fetchall())
            except sqlite3.Error as exc:
                raise JournalError(f"journal read failed: {exc}") from exc

    # --- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: Any) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, json.dumps(value)),
            )

    def _device_id(self) -> str:
        """Made once per data directory: the server binds it to the first account that pushes."""
        existing = self.get_meta("device_id")
        if isinstance(existing, str):
            return existing
        device_id = f"device_{secrets.token_hex(12)}"
        self.set_meta("device_id", device_id)
        return device_id

    # --- assessment and attempt --------------------------------------------------------------

    def store_attempt(self, assessment_id: str, attempt: dict[str, Any]) -> AttemptRecord:
        """Keep the attempt as `start` returned it (questions included) for offline work."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO assessments (id, body) VALUES (?, ?) "
                "ON CONFLICT (id) DO UPDATE SET body = excluded.body",
                (assessment_id, json.dumps({"id": assessment_id, **attempt})),
            )
            conn.execute(
                "INSERT INTO attempts (id, assessment_id, body, status, expires_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, "
                "status = excluded.status, expires_at = excluded.expires_at",
                (
                    attempt["attemptId"],
                    assessment_id,
                    json.dumps(attempt),
                    attempt.get("status", "in_progress"),
                    attempt["expiresAt"],
                ),
            )
        record = self.attempt(attempt["attemptId"])
        assert record is not None
        return record

    def attempt(self, attempt_id: str | None = None) -> AttemptRecord | None:
        """The named attempt, or the most recent one (in progress, submitting or completed)."""
        if attempt_id is None:
            rows = self._read(
                "SELECT id, assessment_id, status, expires_at, session_id, body FROM attempts "
                "ORDER BY rowid DESC LIMIT 1"
            )
        else:
            rows = self._read(
                "SELECT id, assessment_id, status, expires_at, session_id, body FROM attempts "
                "WHERE id = ?",
                (attempt_id,),
            )
        if not rows:
            return None
        id_, assessment_id, status, expires_at, session_id, body = rows[0]
        return AttemptRecord(
            id=id_,
            assessment_id=assessment_id,
            status=status,
            expires_at=datetime.fromisoformat(expires_at.replace("Z", "+00:00")),
            session_id=session_id,
            body=json.loads(body),
        )

    def set_attempt_status(self, attempt_id: str, status: str, expires_at: str | None) -> None:
        """The server's view; a submission still in the outbox stays `submitting`."""
        with self._write() as conn:
            conn.execute(
                "UPDATE attempts SET expires_at = COALESCE(?, expires_at), status = CASE "
                "WHEN status = 'submitting' AND ? = 'in_progress' THEN status ELSE ? END "
                "WHERE id = ?",
                (expires_at, status, status, attempt_id),
            )

    # --- changes: each commits with its outbox row --------------------------------------------

    def _enqueue(self, conn: sqlite3.Connection, kind: str, ref: dict[str, Any]) -> int:
        (last,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM outbox").fetchone()
        seq = int(last) + 1
        conn.execute(
            "INSERT INTO outbox (seq, kind, ref, created_at) VALUES (?, ?, ?, ?)",
            (seq, kind, json.dumps(ref), _now()),
        )
        return seq

    def save_answer(
        self,
        attempt: AttemptRecord,
        question_id: str,
        answer: Any,
        *,
        time_spent: int | None = None,
        language: str | None = None,
    ) -> int:
        """A new version of an answer, on disk when this returns; returns the version."""
        with self._write() as conn:
            (version,) = conn.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM answers "
                "WHERE attempt_id = ? AND question_id = ?",
                (attempt.id, question_id),
            ).fetchone()
            cursor = conn.execute(
                "INSERT INTO answers (attempt_id, question_id, version, answer, language, "
                "time_spent, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    attempt.id,
                    question_id,
                    version,
                    json.dumps(answer),
                    language,
                    time_spent,
                    _now(),
                ),
            )
            self._enqueue(
                conn,
                "answer",
                {"answerId": cursor.lastrowid, "assessmentId": attempt.assessment_id},
            )
        return int(version)

    def complete(self, attempt: AttemptRecord) -> None:
        """The candidate submitted: sent after every answer saved before it."""
        with self._write() as conn:
            conn.execute("UPDATE attempts SET status = 'submitting' WHERE id = ?", (attempt.id,))
            self._enqueue(
                conn, "complete", {"assessmentId": attempt.assessment_id, "attemptId": attempt.id}
            )

    def open_session(self, attempt: AttemptRecord, settings: dict[str, Any]) -> str:
        """A proctoring session for this run of the app, named here so it works offline.

        A restarted app opens a new one (a chain cannot resume in another process) and ends the
        previous one with the last seq it journaled, so the server checks that chain for gaps.
        """
        session_id = f"proctor_session_{secrets.token_hex(10)}"
        with self._write() as conn:
            if attempt.session_id is not None:
                self._enqueue_end(conn, attempt.session_id, "app_restarted")
            conn.execute(
                "UPDATE attempts SET session_id = ? WHERE id = ?", (session_id, attempt.id)
            )
            self._enqueue(
                conn,
                "session_open",
                {
                    "sessionId": session_id,
                    "assessmentId": attempt.assessment_id,
                    "candidateId": attempt.body.get("candidateId"),
                    "attemptId": attempt.id,
                    "settings": settings,
                },
            )
        return session_id

    def end_session(self, session_id: str, reason: str = "assessment_completed") -> None:
        with self._write() as conn:
            self._enqueue_end(conn, session_id, reason)

    def _enqueue_end(self, conn: sqlite3.Connection, session_id: str, reason: str) -> None:
        (last,) = conn.execute(
            "SELECT COALESCE(MAX(seq), -1) FROM events WHERE session_id = ?", (session_id,)
        ).fetchone()
        ref = {"sessionId": session_id, "reason": reason, "lastEventSeq": int(last)}
        self._enqueue(conn, "session_end", ref)

    def record_event(self, session_id: str, event: ProctorEvent) -> bool:
        """Journal one chained event; False when it was journaled already."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO events (session_id, seq, body, snapshot) "
                "VALUES (?, ?, ?, ?)",
                (session_id, event.seq, json.dumps(event.to_dict()), event.snapshot),
            )
            if cursor.rowcount == 0:
                return False
            self._enqueue(conn, "event", {"sessionId": session_id, "eventSeq": event.seq})
        return True

    def follow(
        self, session: EventSource, on_recorded: Callable[[], None] | None = None
    ) -> Callable[[], None]:
        """Journal every event of a proctoring session, from its first (emitted before anyone
        could subscribe) on; `on_recorded` after each (the engine's `wake`). Returns the
        unsubscribe."""

        def record(event: ProctorEvent) -> None:
            if self.record_event(session.session_id, event) and on_recorded is not None:
                on_recorded()

        unsubscribe = session.subscribe(record)
        for event in session.events:  # those before the subscription; repeats are ignored
            record(event)
        return unsubscribe

    # --- the outbox --------------------------------------------------------------------------

    def pending_count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")[0][0])

    def pending(self, limit: int) -> list[OutboxItem]:
        """The oldest pending changes, as push entries (one query). A change whose row is gone
        (a journal edited by hand) is marked `missing` and skipped: the server sees the hole."""
        rows = self._read(
            "SELECT o.seq, o.kind, o.ref, e.session_id, e.body, e.snapshot, a.attempt_id, "
            "a.question_id, a.answer, a.language, a.time_spent, a.saved_at FROM outbox o "
            "LEFT JOIN events e ON o.kind = 'event' "
            "AND e.session_id = json_extract(o.ref, '$.sessionId') "
            "AND e.seq = json_extract(o.ref, '$.eventSeq') "
            "LEFT JOIN answers a ON o.kind = 'answer' AND a.id = json_extract(o.ref, '$.answerId') "
            "WHERE o.status = 'pending' ORDER BY o.seq LIMIT ?",
            (limit,),
        )
        items: list[OutboxItem] = []
        missing: list[int] = []
        for seq, kind, ref_text, session_id, body, snapshot, *answer in rows:
            if kind == "event" and body is not None:
                wire = _event_entry(seq, session_id, body, snapshot)
            elif kind == "answer" and answer[0] is not None:
                fields = _answer_fields(json.loads(ref_text)["assessmentId"], *answer)
                wire = json.dumps({"seq": seq, "kind": kind, **fields})
            elif kind in ("event", "answer"):
                missing.append(seq)
                continue
            else:
                ref = {k: v for k, v in json.loads(ref_text).items() if v is not None}
                wire = json.dumps({"seq": seq, "kind": kind, **ref})
            items.append(OutboxItem(seq, kind, wire))
        if missing:
            self._mark(missing, "missing", None)
        return items

    def acknowledge(self, acked: list[int], rejected: dict[int, str]) -> None:
        """Mark what the server acknowledged; rejected entries keep the server's reason."""
        with self._write() as conn:
            conn.executemany(
                "UPDATE outbox SET status = 'acked' WHERE seq = ?", [(s,) for s in acked]
            )
            conn.executemany(
                "UPDATE outbox SET status = 'rejected', error = ? WHERE seq = ?",
                [(error, s) for s, error in rejected.items()],
            )

    def _mark(self, seqs: list[int], status: str, error: str | None) -> None:
        with self._write() as conn:
            conn.executemany(
                "UPDATE outbox SET status = ?, error = ? WHERE seq = ?",
                [(status, error, s) for s in seqs],
            )

    def outbox_status(self) -> dict[str, int]:
        return dict(self._read("SELECT status, COUNT(*) FROM outbox GROUP BY status"))

    def event_count(self, session_id: str) -> int:
        return int(
            self._read("SELECT COUNT(*) FROM events WHERE session_id = ?", (session_id,))[0][0]
        )

    def answers(self, attempt_id: str) -> list[dict[str, Any]]:
        """Every version of every answer of an attempt, oldest first."""
        rows = self._read(
            "SELECT question_id, version, answer, saved_at FROM answers WHERE attempt_id = ? "
            "ORDER BY id",
            (attempt_id,),
        )
        return [
            {"questionId": q, "version": v, "answer": json.loads(a), "savedAt": s}
            for q, v, a, s in rows
        ]
