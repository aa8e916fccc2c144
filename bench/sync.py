"""Sync benchmarks on loopback: offline flush, batch ingest, many candidates at once.

1. 10,000 proctoring events journaled offline, then flushed by the sync engine (target < 3 s).
2. Ingest through `POST /api/sync/push` in batches of 100 events, several devices pushing at
   once (target >= 20,000 events/s), on SQLite and, when reachable, PostgreSQL.
3. 1,000 simulated candidates, each pushing a few events every 2 s and saving an answer now and
   then (target: p99 < 100 ms, no errors), `PUSHES_PER_CANDIDATE` pushes each.

The server runs as `python -m server serve --no-access-log` in its own process (rate limits
off: they would throttle a single benchmark caller long before the database does): one worker on
SQLite, whose single write lock several processes would only queue on, and `PG_WORKERS` on
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from proctoring.events import EventChain
from sync import EllaAI
from sync.engine import SyncEngine
from sync.journal import Journal
from tests.sync.harness import ADMIN_EMAIL, PASSWORD, World, build_world, free_port

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@localhost:5432/postgres")
OFFLINE_EVENTS = 10_000
INGEST_BATCHES = 1_000  # x 100 events: a few seconds of load, long enough to average noise
INGEST_DEVICES = 8
CANDIDATES = 1_000
PUSH_INTERVAL = 2.0
PUSHES_PER_CANDIDATE = 10  # 20 s of load
PG_WORKERS = 4  # two a core: while one waits on a PostgreSQL round trip, another runs


@contextmanager
def server_process(database_url: str | None, data_dir: Path, workers: int = 1) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "ELLA_ENV": "test",
        "ELLA_SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
        "ELLA_DATA_DIR": str(data_dir),
        "ELLA_ADMIN_EMAIL": ADMIN_EMAIL,
        "ELLA_ADMIN_PASSWORD": PASSWORD,
        "ELLA_ARGON2_TIME_COST": "1",
        "ELLA_ARGON2_MEMORY_KIB": "64",
        "ELLA_RATE_LIMITS_ENABLED": "false",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "server", "serve", "--port", str(port)),
            *("--workers", str(workers), "--no-access-log"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Every worker up before the clock starts: one still importing and migrating takes a core.
    started = threading.Semaphore(0)
    log: deque[str] = deque(maxlen=40)

    def read_log() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            log.append(line)
            if "Application startup complete." in line:
                started.release()

    threading.Thread(target=read_log, daemon=True).start()
    try:
        deadline = time.monotonic() + 60
        for _ in range(workers):
            if not started.acquire(timeout=max(deadline - time.monotonic(), 0)):
                raise RuntimeError(f"the benchmark server did not start:\n{''.join(log)}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:  # still draining connections: enough
            process.kill()
            process.wait()


@contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on the local PostgreSQL, or None when there is none."""
    import psycopg

    name = f"ellaai_bench_{os.getpid()}"
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError:
        yield None
        return
    try:
        yield PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + (
            f"/{name}"
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def candidate_client(world: World, token: str) -> EllaAI:
    client = EllaAI(base_url=f"{world.server_url}/api")
    client.auth.login(invite_token=token)
    return client


def open_session(client: EllaAI, world: World) -> tuple[dict[str, Any], str]:
    attempt = client.assessments.start(world.assessment_id)
    session = client.proctor.create_session(
        assessment_id=world.assessment_id,
        candidate_id=attempt["candidateId"],
        attempt_id=attempt["attemptId"],
    )
    return attempt, session["sessionId"]


# --- 1. offline flush -----------------------------------------------------------------------


def offline_flush(url: str, workdir: Path) -> list[str]:
    world = build_world(url, questions=1)
    (token,) = world.invite()
    client = candidate_client(world, token)
    journal = Journal(workdir / "offline")
    started = client.assessments.start(world.assessment_id)
    attempt = journal.store_attempt(world.assessment_id, started)
    session_id = journal.open_session(attempt, {})
    chain = EventChain(session_id, attempt.expires_at)
    for i in range(OFFLINE_EVENTS):
        journal.record_event(session_id, chain.append("paste_detected", "low", i * 0.01, {"i": i}))
    engine = SyncEngine(journal, client)
    began = time.perf_counter()
    engine.sync_once()
    elapsed = time.perf_counter() - began
    left = journal.pending_count()
    journal.close()
    client.close()
    world.recruiter.close()
    verdict = "ok" if elapsed < 3 and left == 0 else "MISSED"
    return [f"offline flush of {OFFLINE_EVENTS:,} events", f"{elapsed:.2f} s", "< 3 s", verdict]


# --- 2. ingest ------------------------------------------------------------------------------


def ingest(url: str, label: str) -> list[str]:
    world = build_world(url, questions=1)
    tokens = world.invite(INGEST_DEVICES)
    per_device = INGEST_BATCHES // INGEST_DEVICES
    devices: list[list[bytes]] = []
    for d, token in enumerate(tokens):
        with candidate_client(world, token) as client:
            _, session_id = open_session(client, world)
            assert client.tokens is not None
            access = client.tokens.access
        chain = EventChain(session_id, datetime.now(UTC))
        batches = []
        for b in range(per_device):
            entries = [
                {
                    "seq": b * 100 + i + 1,
                    "kind": "event",
                    "sessionId": session_id,
                    "event": chain.append("looking_away", "low", b + i / 100, {"i": i}).to_dict(),
                }
                for i in range(100)
            ]
            body = {"schemaVersion": 1, "deviceId": f"device_bench_{d:04d}", "entries": entries}
            batches.append(_push_request(access, json.dumps(body).encode()))
        devices.append(batches)

    async def device(connection: Connection, batches: list[bytes]) -> int:
        """Sends its batches back to back on its connection; how many failed."""
        failed = 0
        for request in batches:
            if not await _exchange(connection, request):
                failed += 1
        connection[1].close()
        return failed

    async def run() -> int:
        connections = [await _connect(url) for _ in devices]
        return sum(await asyncio.gather(*map(device, connections, devices)))

    started = time.perf_counter()
    failed = asyncio.run(run())
    elapsed = time.perf_counter() - started
    rate = per_device * INGEST_DEVICES * 100 / elapsed
    world.recruiter.close()
    verdict = "ok" if rate >= 20_000 and not failed else "MISSED"
    failures = f", {failed} failed pushes" if failed else ""
    return [
        f"ingest, batches of 100 ({label})",
        f"{rate:,.0f} events/s{failures}",
        ">= 20,000",
        verdict,
    ]


# --- 3. many candidates ---------------------------------------------------------------------


def candidates(url: str) -> list[str]:
    world = build_world(url, questions=3)
    tokens = world.invite(CANDIDATES)
    with ThreadPoolExecutor(8) as pool:
        setups = list(pool.map(partial(_candidate_setup, world), range(len(tokens)), tokens))
    latencies, errors = asyncio.run(_load(url, setups))
    world.recruiter.close()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 100 else [0.0] * 99
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    verdict = "ok" if p99 < 100 and errors == 0 else "MISSED"
    return [
        f"{CANDIDATES:,} candidates, events every 2 s + answers",
        f"p50 {p50:.0f} / p99 {p99:.0f} ms, {len(latencies):,} pushes, {errors} errors",
        "p99 < 100 ms, 0 errors",
        verdict,
    ]


def _candidate_setup(world: World, index: int, token: str) -> list[bytes]:
    """Log in, start and open a session; every push body this candidate will send, built now
    so that the timed run spends the load generator's CPU on the wire only."""
    with candidate_client(world, token) as client:
        attempt, session_id = open_session(client, world)
        assert client.tokens is not None
        access = client.tokens.access
    device = f"device_load_{index:05d}"
    rng = random.Random(index)
    chain = EventChain(session_id, datetime.now(UTC))
    seq = 0
    requests = []
    for _ in range(PUSHES_PER_CANDIDATE):
        entries = _candidate_entries(world, attempt, chain, session_id, rng, seq)
        seq = entries[-1]["seq"]
        body = json.dumps({"schemaVersion": 1, "deviceId": device, "entries": entries}).encode()
        requests.append(_push_request(access, body))
    return requests


async def _load(url: str, setups: list[list[bytes]]) -> tuple[list[float], int]:
    """Every candidate on its own keep-alive connection, pushing on a 2 s cadence. Each push
    is timed from the first byte sent to the last byte of the answer; it counts as an error
    unless it is a 200 whose every entry was applied."""
    latencies: list[float] = []
    errors = 0

    async def candidate(index: int, requests: list[bytes]) -> None:
        nonlocal errors
        connection: Connection | None = None
        await asyncio.sleep(random.Random(index).uniform(0, PUSH_INTERVAL))
        next_push = time.monotonic()
        for request in requests:
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = await _connect(url)
                if not await _exchange(connection, request):
                    errors += 1
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                connection = None
            latencies.append(time.perf_counter() - started)
            next_push += PUSH_INTERVAL
            await asyncio.sleep(max(0.0, next_push - time.monotonic()))
        if connection is not None:
            connection[1].close()

    # The generator's own collector pauses would be counted as the server's latency.
    gc.collect()
    gc.disable()
    try:
        await asyncio.gather(*(candidate(i, s) for i, s in enumerate(setups)))
    finally:
        gc.enable()
    return latencies, errors


def _candidate_entries(
    world: World,
    attempt: dict[str, Any],
    chain: EventChain,
    session_id: str,
    rng: random.Random,
    seq: int,
) -> list[dict[str, Any]]:
    """A few proctoring events, and an answer in about 30% of pushes, numbered after `seq`."""
    entries: list[dict[str, Any]] = []
    for _ in range(rng.randint(2, 4)):
        seq += 1
        event = chain.append("looking_away", "low", seq * 0.5, {"n": seq}).to_dict()
        entries.append({"seq": seq, "kind": "event", "sessionId": session_id, "event": event})
    if rng.random() < 0.3:
        seq += 1
        question = rng.choice(attempt["questions"])
        entries.append(
            {
                "seq": seq,
                "kind": "answer",
                "assessmentId": world.assessment_id,
                "attemptId": attempt["attemptId"],
                "questionId": question["id"],
                "answer": rng.choice(["a", "b"]),
                "savedAt": datetime.now(UTC).isoformat(),
            }
        )
    return entries


# --- the wire -----------------------------------------------------------------------------
# HTTP/1.1 written and read by hand on asyncio streams, from requests built beforehand: the
# load generator shares the server's two cores, and an HTTP client library costs more CPU per
# request than the server should (wrk's way, with which FACTS.md measured the ceiling).

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _push_request(access_token: str, body: bytes) -> bytes:
    return (
        b"POST /api/sync/push HTTP/1.1\r\nHost: bench\r\n"
        b"Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (access_token.encode(), len(body), body)
    )


async def _connect(url: str) -> Connection:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    return await asyncio.open_connection(host, int(port))


async def _exchange(connection: Connection, request: bytes) -> bool:
    """Send one push and read its answer: True for a 200 with no entry rejected."""
    reader, writer = connection
    writer.write(request)
    status, answer = await _read_response(reader)
    return status == 200 and b'"rejected"' not in answer


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one HTTP/1.1 response with a Content-Length (the server's kind)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:")
    )
    return status, await reader.readexactly(length)


# --- the table ------------------------------------------------------------------------------


PARTS = ("offline_flush", "ingest", "candidates")


def main(argv: list[str]) -> None:
    """`argv`: the parts to run (`python -m bench sync -- ingest candidates`), all by default."""
    unknown = [a for a in argv if a not in PARTS]
    if unknown:
        raise SystemExit(f"unknown part(s) {', '.join(unknown)}; known: {', '.join(PARTS)}")
    parts = set(argv or PARTS)
    widths = (48, 40, 24)
    show = _printer(widths)
    show(["benchmark", "result", "target", ""])
    show(["-" * w for w in widths] + ["-" * 6])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with server_process(None, work / "sqlite") as url:
            if "offline_flush" in parts:
                show(offline_flush(url, work))
            if "ingest" in parts:
                show(ingest(url, "SQLite, 1 worker"))
            if "candidates" in parts:
                show(candidates(url))
        if "ingest" not in parts:
            return
        with postgres_database() as pg_url:
            if pg_url is None:
                show(["ingest, batches of 100 (PostgreSQL)", "skipped: no server", "", ""])
            else:
                with server_process(pg_url, work / "pg", workers=PG_WORKERS) as url:
                    show(ingest(url, f"PostgreSQL, {PG_WORKERS} workers"))


def _printer(widths: tuple[int, ...]) -> Callable[[list[str]], None]:
    """Rows are printed as they are measured: the whole run takes minutes."""

    def show(row: list[str]) -> None:
        cells = [cell.ljust(w) for cell, w in zip(row, widths, strict=False)] + row[len(widths) :]
        print("  ".join(cells).rstrip(), flush=True)

    return show


if __name__ == "__main__":
    main(sys.argv[1:])
