"""Test harness for sync: the real server on a loopback port (restartable), a TCP proxy that
drops, delays and cuts connections, and a recruiter's world built through the SDK."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from server.app import create_app
from server.config import Settings
from sync import EllaAI

ADMIN_EMAIL = "root@ellaai.example.com"
PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        ELLA_ENV="test",
        ELLA_SECRET_KEY="test-secret-key-that-is-long-enough-0123456789",
        ELLA_DATA_DIR=data_dir,
        DATABASE_URL=database_url,
        ELLA_ADMIN_EMAIL=ADMIN_EMAIL,
        ELLA_ADMIN_PASSWORD=PASSWORD,
        ELLA_ARGON2_TIME_COST=1,
        ELLA_ARGON2_MEMORY_KIB=64,
        # The fault tests and benchmarks push far above any plan's per-minute budget.
        ELLA_RATE_LIMITS_ENABLED=False,
    )


class LiveServer:
    """The real app under uvicorn on a thread; `restart()` keeps port and database."""

    def __init__(self, settings: Settings, port: int | None = None) -> None:
        self.settings = settings
        self.port = port or free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        app = create_app(self.settings)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(15)
            self._server = self._thread = None

    def restart(self) -> None:
        self.stop()
        self.start()


@dataclass
class Faults:
    """What the proxy does to each new connection, drawn at random (seeded)."""

    refuse: float = 0.0  # close at once
    cut: float = 0.0  # close after a random number of bytes, either direction
    delay: float = 0.0  # probability of a delay before each forwarded chunk
    max_delay: float = 0.05
    rng: random.Random = field(default_factory=lambda: random.Random(1234))


class FaultProxy:
    """A TCP proxy on loopback between client and server that misbehaves on purpose."""

    def __init__(self, target_port: int, faults: Faults | None = None) -> None:
        self.target_port = target_port
        self.faults = faults or Faults()
        self.offline = False
        self.answers_to_lose = 0  # the server's next answers are cut off before they arrive
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def go_offline(self) -> None:
        """Refuse new connections and cut every open one: the network is gone."""
        self.offline = True
        with self._lock:
            for s in list(self._open):
                _close(s)
            self._open.clear()

    def go_online(self) -> None:
        self.offline = False

    def close(self) -> None:
        self._closed = True
        self.go_offline()
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            f = self.faults
            if self.offline or f.rng.random() < f.refuse:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                _close(client)
                continue
            budget = f.rng.randint(1, 4000) if f.rng.random() < f.cut else None
            with self._lock:
                self._open.update((client, upstream))
            for a, b, answers in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(
                    target=self._pump, args=(a, b, budget, answers), daemon=True
                ).start()

    def lose_answers(self, n: int = 1) -> None:
        """The request arrives and is applied; its answer never reaches the client."""
        with self._lock:
            self.answers_to_lose = n

    def _lose_this_answer(self) -> bool:
        with self._lock:
            lose = self.answers_to_lose > 0
            self.answers_to_lose -= lose
            return lose

    def _pump(
        self, source: socket.socket, sink: socket.socket, budget: int | None, answers: bool
    ) -> None:
        sent = 0
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk or (answers and self._lose_this_answer()):
                    break
                f = self.faults
                if f.delay and f.rng.random() < f.delay:
                    time.sleep(f.rng.uniform(0, f.max_delay))
                if budget is not None and sent + len(chunk) > budget:
                    sink.sendall(chunk[: max(budget - sent, 0)])
                    break
                sink.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                _close(s)
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()


@dataclass
class World:
    """One company's assessment with `questions` multiple-choice questions, and invitations."""

    server_url: str
    recruiter: EllaAI
    assessment_id: str
    question_ids: list[str]

    def invite(self, n: int = 1) -> list[str]:
        """Invitation tokens for `n` new candidates."""
        tokens = []
        for i in range(n):
            stamp = f"{time.monotonic_ns()}-{i}"
            candidate = self.recruiter.candidates.create(
                email=f"cand-{stamp}@example.com", first_name="Cand", last_name=str(i)
            )
            invitation = self.recruiter.candidates.invite(
                candidate["id"], assessment_id=self.assessment_id, message="Please take it"
            )
            tokens.append(invitation["inviteLink"].split("token=", 1)[1])
        return tokens


def build_world(server_url: str, questions: int = 5, *, time_limit: int = 120) -> World:
    """Through the SDK, as an administrator and a recruiter would."""
    with EllaAI(base_url=f"{server_url}/api") as admin:
        admin.auth.login(email=ADMIN_EMAIL, password=PASSWORD)
        company = admin.companies.create(
            name="Sync Corp", email="owner@sync.example.com", plan="pro"
        )
    recruiter = EllaAI(api_key=company["apiKey"], base_url=f"{server_url}/v1")
    question_ids = [
        recruiter.questions.create(
            type="multiple_choice",
            title=f"Question {i}",
            points=10,
            skills=["python"],
            options=[
                {"id": "a", "text": "right", "correct": True},
                {"id": "b", "text": "wrong"},
            ],
        )["id"]
        for i in range(questions)
    ]
    assessment = recruiter.assessments.create(
        title="Sync assessment",
        questions=question_ids,
        time_limit=time_limit,
        settings={"proctoringEnabled": True},
    )
    recruiter.assessments.update(assessment["id"], status="active")
    return World(server_url, recruiter, assessment["id"], question_ids)


def answers_for(world: World, rng: random.Random | None = None) -> dict[str, Any]:
    rng = rng or random.Random(7)
    return {q: rng.choice(["a", "b"]) for q in world.question_ids}
