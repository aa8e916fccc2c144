"""The real server with demo data, in a child process, for the screenshots and the benchmark:

    with DemoServer(tmp_dir) as server:
        demo = server.seed()          # python -m server seed-demo --json (server.demo.DemoData)
        ... ella-app --server server.url --invite demo["invite_token"] ...

SQLite in ``data_dir``; ``seed()`` can be called again for a fresh invitation once one is spent.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


class DemoServer:
    def __init__(
        self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None
    ) -> None:
        self.data_dir = data_dir
        self.port = port or _free_port()
        self.env = {
            **os.environ,
            "ELLA_ENV": "development",
            "ELLA_DATA_DIR": str(data_dir),
            "ELLA_RATE_LIMITS_ENABLED": "false",
            **(env or {}),
        }
        # SQLite in data_dir, in-process rate limits: whatever the caller's shell points at.
        self.env.pop("DATABASE_URL", None)
        self.env.pop("REDIS_URL", None)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> IO[bytes]:
        return (self.data_dir / "server.log").open("ab")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def seed(self) -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "server", "seed-demo", "--json"],
            cwd=ROOT, env=self.env, capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        seeded: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return seeded

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--port", str(self.port)],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the server exited at start; see {self.data_dir / 'server.log'}"
                )
            try:
                httpx.get(f"{self.url}/api/health", timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not answer in 60 s")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(15)
            self._process = None

    def __enter__(self) -> DemoServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
