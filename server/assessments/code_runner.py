"""The server's sandbox: the only module that knows the `sandbox` engine's API.

One engine per server process, created on first use and kept in `ServerContext.extras`, so its
compiled runtimes are shared by every request. `code_runner` returns None while no engine can be
made; coding answers are then stored as `grading_unavailable`, never given a made-up score.
"""

from __future__ import annotations

from server.assessments.grading import CodeRunner
from server.deps import ServerContext

EXTRAS_KEY = "sandbox.runner"


def code_runner(context: ServerContext) -> CodeRunner | None:
    runner = context.extras.get(EXTRAS_KEY)
    if runner is None:
        runner = _make_runner()
        if runner is None:
            return None
        context.extras[EXTRAS_KEY] = runner
    return runner  # type: ignore[return-value]


def _make_runner() -> CodeRunner | None:
    # The sandbox package has no engine yet (branch `sandbox`); wired when it lands.
    return None
