"""The sync engine: pushes the journal's outbox in order, keeps the server's clock, reports state.

One background thread. It pushes pending entries in batches (at most `batch_size` entries, by
default as many as the server takes in one push so a backlog costs few round trips, and about
`max_batch_bytes`), oldest first, and marks an entry sent only when the server's answer
names it (applied, duplicate, or rejected for good). Any failure (offline, a timeout, a restarted
server, a 5xx) leaves the entries pending and the engine waits with exponential back-off and
jitter before it tries again, from the oldest pending entry: resuming after a crash is the same
as resuming after a network drop, because the journal is the only state.

The server's clock is authoritative for the exam timer: every answer from the server carries its
time, and `ServerClock` keeps the offset (persisted in the journal), so the countdown goes on,
offline and across restarts. The UI subscribes to `Connectivity` changes with a plain callback
(called on the engine's thread; a Qt app forwards it with a queued signal).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from server.schemas.sync import MAX_ENTRIES, SCHEMA_VERSION, PushResult
from sync.client import EllaAI, RetryPolicy
from sync.errors import APIError, EllaAIError
from sync.journal import Journal, OutboxItem

log = logging.getLogger(__name__)

Status = Literal["online", "offline", "syncing"]
Listener = Callable[["Connectivity"], None]


@dataclass(frozen=True)
class Connectivity:
    """What the UI shows: online/offline/syncing, how many changes wait, the last problem."""

    status: Status
    pending: int
    last_error: str | None = None
    last_synced_at: datetime | None = None


class ServerClock:
    """Server time = local time + offset; the offset is measured at every exchange."""

    META_KEY = "clock_offset"

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        stored = journal.get_meta(self.META_KEY)
        self.offset = float(stored) if isinstance(stored, int | float) else 0.0

    def observe(self, server_time: datetime, sent: float, received: float) -> None:
        """`sent`/`received`: local wall-clock seconds around the request (its midpoint is when
        the server most likely stamped its answer)."""
        offset = server_time.timestamp() - (sent + received) / 2
        if abs(offset - self.offset) > 0.05:
            self._journal.set_meta(self.META_KEY, offset)
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def remaining(self, expires_at: datetime) -> float:
        """Seconds left before `expires_at` (server time); counts down offline too."""
        return max((expires_at - self.now()).total_seconds(), 0.0)


class SyncEngine:
    def __init__(
        self,
        journal: Journal,
        client: EllaAI,
        *,
        batch_size: int = MAX_ENTRIES,
        max_batch_bytes: int = 1_000_000,
        idle_interval: float = 2.0,
        backoff: RetryPolicy | None = None,
    ) -> None:
        self.journal = journal
        # The engine retries on its own schedule; the client must fail fast to say "offline".
        self.client = client.with_options(max_retries=0)
        self.clock = ServerClock(journal)
        self.batch_size = batch_size
        self.max_batch_bytes = max_batch_bytes
        self.idle_interval = idle_interval
        self.backoff = backoff or RetryPolicy(base_delay=0.2, max_delay=5.0)
        self._state = Connectivity(status="offline", pending=journal.pending_count())
        self._listeners: list[Listener] = []
        self._state_lock = threading.Lock()
        self._push_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        # When the last cycle that pushed everything and read the server back began (monotonic).
        self._synced = threading.Condition()
        self._clean_cycle_began = float("-inf")
        self._thread: threading.Thread | None = None
        self._attempt_id: str | None = None

    def track(self, attempt_id: str | None) -> None:
        """Pull this attempt's status and deadline from the server at every heartbeat."""
        self._attempt_id = attempt_id

    # --- state -------------------------------------------------------------------------------

    @property
    def state(self) -> Connectivity:
        return self._state

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(state)` on every change, and once now; returns the unsubscribe."""
        with self._state_lock:
            self._listeners.append(listener)
        listener(self._state)

        def unsubscribe() -> None:
            with self._state_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def _set(self, **changes: object) -> None:
        with self._state_lock:
            new = replace(self._state, **changes)  # type: ignore[arg-type]
            if new == self._state:
                return
            self._state = new
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(new)
            except Exception:
                log.exception("connectivity listener failed")

    # --- running -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sync-engine", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """New entries in the outbox: push soon (the journal's writers call this)."""
        self._set(pending=self.journal.pending_count())
        self._wake.set()

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued before this call is on the server and the attempt's state
        has been read back after it (True), or `timeout` seconds pass (False).

        An empty outbox alone is not enough: the caller then reads what the last push changed
        (a submitted attempt's status), which the engine's heartbeat stores after the push.
        """
        if self._thread is None:
            raise RuntimeError("start the sync engine before flushing it")
        asked = time.monotonic()
        self.wake()
        with self._synced:
            return self._synced.wait_for(lambda: self._clean_cycle_began >= asked, timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self.sync_once()
                failures = 0
                self._wake.wait(self.idle_interval)
                self._wake.clear()
            except EllaAIError as error:
                self._set(status="offline", last_error=str(error))
                # Back off without listening to wake(): new entries must not hammer a dead link.
                self._stop.wait(self.backoff.delay(failures, _retry_after(error)))
                failures = min(failures + 1, 16)
            except Exception as error:  # a bug: keep the candidate's work safe, log, go on
                log.exception("sync engine error")
                self._set(status="offline", last_error=repr(error))
                self._stop.wait(self.backoff.max_delay)

    def sync_once(self) -> None:
        """Push every pending entry, then read the server's state. Raises on any failure."""
        began = time.monotonic()
        with self._push_lock:
            while batch := self._next_batch():
                self._set(status="syncing", pending=self.journal.pending_count())
                self._push(batch)
            self._heartbeat()
        with self._synced:
            self._clean_cycle_began = max(self._clean_cycle_began, began)
            self._synced.notify_all()

    def _next_batch(self) -> list[OutboxItem]:
        items = self.journal.pending(self.batch_size)
        batch: list[OutboxItem] = []
        size = 0
        for item in items:
            if batch and size + item.size > self.max_batch_bytes:
                break
            batch.append(item)
            size += item.size
        return batch

    def _push(self, batch: list[OutboxItem]) -> None:
        # The entries come encoded from the journal: joined, not decoded and encoded again.
        body = (
            f'{{"schemaVersion":{SCHEMA_VERSION},"deviceId":{json.dumps(self.journal.device_id)},'
            f'"entries":[{",".join(item.wire for item in batch)}]}}'
        )
        sent = time.time()
        data = self.client.sync.push(body.encode())
        result = PushResult.model_validate(data)
        self.clock.observe(result.server_time, sent, time.time())
        acked = [r.seq for r in result.results if r.status != "rejected"]
        rejected = {
            r.seq: f"{r.error.code}: {r.error.message}" if r.error else "rejected"
            for r in result.results
            if r.status == "rejected"
        }
        if rejected:
            log.warning("server rejected outbox entries: %s", rejected)
        self.journal.acknowledge(acked, rejected)

    def _heartbeat(self) -> None:
        sent = time.time()
        state = self.client.sync.device(self.journal.device_id)
        self.clock.observe(
            datetime.fromisoformat(str(state["serverTime"]).replace("Z", "+00:00")),
            sent,
            time.time(),
        )
        if self._attempt_id is not None:
            attempt = self.client.assessments.get_attempt(self._attempt_id)
            self.journal.set_attempt_status(
                self._attempt_id, str(attempt["status"]), str(attempt["expiresAt"])
            )
        self._set(
            status="online",
            pending=self.journal.pending_count(),
            last_error=None,
            last_synced_at=datetime.now(UTC),
        )


def _retry_after(error: EllaAIError) -> float | None:
    return error.retry_after if isinstance(error, APIError) else None
