"""`make run`: the server on SQLite with demo data, then the desktop app on the demo invitation.

With a display the candidate window opens; without one (or with `--headless`) the same journal,
sync engine and proctoring run headless (`python -m app take`) on a short generated video, and
the result is printed. The server stops when the app does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from scripts.demo_server import ROOT, DemoServer

ADMIN_EMAIL = "admin@ellaai.example.com"
ADMIN_PASSWORD = "ella-admin-password"

# Answers to the demo questions, by title: all right but one multiple-choice question.
DEMO_ANSWERS: dict[str, object] = {
    "Fibonacci numbers": (
        "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n"
        "    return a\n"
    ),
    "Sum of an array": (
        "function sumArray(numbers) {\n  return numbers.reduce((a, b) => a + b, 0);\n}\n"
    ),
    "Python mutability": ["tuple", "frozenset"],
    "Big-O of dict lookup": "a",
    "JavaScript equality": "false",
    "Designing a rate limiter": (
        "A token bucket per client kept in Redis, refilled at 100 a minute; each request runs "
        "an atomic Lua script that refills, checks and takes a token, so every process shares it."
    ),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--headless", action="store_true", help="no window even with a display")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".data" / "demo")
    args = parser.parse_args(argv)

    shutil.rmtree(args.data_dir, ignore_errors=True)
    admin = {"ELLA_ADMIN_EMAIL": ADMIN_EMAIL, "ELLA_ADMIN_PASSWORD": ADMIN_PASSWORD}
    port = args.port if port_is_free(args.port) else None
    server = DemoServer(args.data_dir / "server", port=port, env=admin)
    print("Seeding demo data (the first run compiles the sandbox's runtimes)...", flush=True)
    demo = server.seed()
    app_dir = args.data_dir / "app"
    with server:
        print(banner(server.url, demo), flush=True)
        if has_display() and not args.headless:
            command = [sys.executable, "-m", "app", "--server", server.url]
            command += ["--invite", demo["invite_token"], "--data-dir", str(app_dir)]
            return subprocess.call(command, cwd=ROOT)
        return take_headless(server.url, demo, app_dir)


def take_headless(url: str, demo: dict[str, Any], app_dir: Path) -> int:
    questions: dict[str, str] = demo["question_ids"]
    app_dir.mkdir(parents=True, exist_ok=True)
    answers = app_dir / "answers.json"
    answers.write_text(json.dumps({questions[t]: a for t, a in DEMO_ANSWERS.items()}, indent=2))
    video = app_dir / "candidate.avi"
    print("No display: a headless run, proctored on a 20 s video made from sample photos.")
    subprocess.run([sys.executable, "-m", "scripts.demo_video", str(video)], cwd=ROOT, check=True)
    command = [sys.executable, "-m", "app", "take", "--server", url]
    command += ["--invite", demo["invite_token"], "--answers", str(answers)]
    command += ["--video", str(video), "--data-dir", str(app_dir)]
    print("$ python", " ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=ROOT)


def banner(url: str, demo: dict[str, Any]) -> str:
    return "\n".join(
        [
            "",
            f"EllaAI API      {url}/api   (docs: {url}/docs)",
            f"Administrator   {ADMIN_EMAIL} / {ADMIN_PASSWORD}",
            f"Recruiter       {demo['recruiter_email']} / {demo['recruiter_password']}",
            f"Invite token    {demo['invite_token']}",
            "",
        ]
    )


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


if __name__ == "__main__":
    sys.exit(main())
