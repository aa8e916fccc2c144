"""The engine around the runtimes: languages, compile cache, worker pool, async, lifetime."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from sandbox import (
    Engine,
    EngineClosed,
    ExecutionRequest,
    InvalidRequest,
    LanguageNotAvailable,
    Maxima,
    SandboxBusy,
    SandboxError,
    TestCase,
    Verdict,
    list_languages,
)
from sandbox.runtimes import JavaScriptRuntime, PythonRuntime


def test_languages_lists_installed_runtimes_with_versions(engine: Engine) -> None:
    infos = {info.id: info for info in engine.languages()}
    assert set(infos) >= {"python", "javascript"}
    assert infos["python"].installed and infos["python"].version == "3.12.0"
    assert infos["javascript"].installed and "QuickJS-ng 0.11.0" in infos["javascript"].version
    assert "js" in infos["javascript"].aliases


def test_aliases_resolve(engine: Engine) -> None:
    result = engine.execute(ExecutionRequest(language="JS", code="console.log(6 * 7)"))
    assert result.language == "javascript"
    assert result.results[0].output == "42\n"


def test_unknown_language(engine: Engine) -> None:
    with pytest.raises(LanguageNotAvailable):
        engine.execute(ExecutionRequest(language="cobol", code="DISPLAY 'HI'."))


def test_missing_runtime_binary_is_reported_not_crashed(tmp_path: Path) -> None:
    with Engine(tmp_path / "cache", runtimes=[JavaScriptRuntime(tmp_path / "nothing-here")]) as eng:
        (info,) = eng.languages()
        assert not info.installed
        assert "python -m sandbox install" in info.detail
        with pytest.raises(LanguageNotAvailable, match="sandbox install"):
            eng.submit(ExecutionRequest(language="javascript", code="1"))


def test_compiled_modules_are_cached_on_disk(engine: Engine, cache_dir: Path) -> None:
    files = sorted(p.name for p in cache_dir.glob("*.cwasm"))
    assert len(files) == 2, files
    # Python is compiled from its pre-initialised snapshot (sandbox.snapshot)
    assert any(name.startswith("python-e5dc5a398b07b54e-snapshot-") for name in files)
    assert not list(cache_dir.glob("*.tmp"))
    # The first use said what it was doing, once per runtime.
    messages = engine.progress_messages  # type: ignore[attr-defined]
    assert sum("Preparing the python runtime" in m for m in messages) == 1
    # A second engine on the same cache compiles nothing: it loads the files.
    said: list[str] = []
    started = time.perf_counter()
    with Engine(
        cache_dir, warm_instances=0, progress=said.append, runtimes=[PythonRuntime()]
    ) as again:
        again.prepare(["python"])
        result = again.execute(ExecutionRequest(language="python", code="print(1)"))
    assert said == []
    assert time.perf_counter() - started < 10
    assert result.verdict is Verdict.ACCEPTED


def test_execute_async_does_not_block_the_loop(engine: Engine) -> None:
    async def main() -> tuple[list[Verdict], int]:
        ticks = 0
        done = False

        async def ticker() -> None:
            nonlocal ticks
            while not done:
                ticks += 1
                await asyncio.sleep(0.005)

        tick_task = asyncio.create_task(ticker())
        requests = [
            ExecutionRequest(language="python", code="while True:\n    pass\n", time_limit_ms=300),
            ExecutionRequest(language="javascript", code="console.log(1)"),
        ]
        results = await asyncio.gather(*(engine.execute_async(r) for r in requests))
        done = True
        await tick_task
        return [r.verdict for r in results], ticks

    verdicts, ticks = asyncio.run(main())
    assert verdicts == [Verdict.TIME_LIMIT_EXCEEDED, Verdict.ACCEPTED]
    assert ticks >= 10  # the loop kept running while the guest looped for 300 ms


def test_full_pool_and_queue_refuse_with_sandbox_busy(cache_dir: Path) -> None:
    slow = ExecutionRequest(language="javascript", code="while (true) {}", time_limit_ms=600)
    with Engine(cache_dir, max_workers=1, max_queue=1, warm_instances=0) as eng:
        eng.prepare(["javascript"])
        running = eng.submit(slow)
        queued = eng.submit(slow)
        with pytest.raises(SandboxBusy) as info:
            eng.submit(slow)
        assert isinstance(info.value, SandboxError)
        assert running.result().verdict is Verdict.TIME_LIMIT_EXCEEDED
        assert queued.result().verdict is Verdict.TIME_LIMIT_EXCEEDED
        # slots are released: it accepts work again
        assert (
            eng.execute(ExecutionRequest(language="javascript", code="1")).verdict
            is Verdict.ACCEPTED
        )


def test_two_workers_run_in_parallel(cache_dir: Path) -> None:
    loop = ExecutionRequest(language="javascript", code="while (true) {}", time_limit_ms=500)
    with Engine(cache_dir, max_workers=2, warm_instances=2) as eng:
        eng.prepare(["javascript"])
        started = time.perf_counter()
        futures = [eng.submit(loop) for _ in range(2)]
        verdicts = [f.result().verdict for f in futures]
        elapsed = time.perf_counter() - started
    assert verdicts == [Verdict.TIME_LIMIT_EXCEEDED] * 2
    assert elapsed < 0.95  # not 2 x 500 ms one after the other


def test_closed_engine_refuses_work(cache_dir: Path) -> None:
    eng = Engine(cache_dir, warm_instances=1)
    eng.prepare(["javascript"])
    eng.close()
    eng.close()  # idempotent
    with pytest.raises(EngineClosed):
        eng.submit(ExecutionRequest(language="javascript", code="1"))


def test_close_stops_warm_instance_threads(cache_dir: Path) -> None:
    before = {t.ident for t in threading.enumerate()}
    eng = Engine(cache_dir, warm_instances=2)
    eng.prepare(["javascript"])
    eng.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        extra = [
            t
            for t in threading.enumerate()
            if t.ident not in before and t.name.startswith("sandbox-")
        ]
        if not extra:
            break
        time.sleep(0.05)
    assert extra == []


def test_per_test_results_carry_the_spec_fields(engine: Engine) -> None:
    result = engine.execute(
        ExecutionRequest(
            language="python",
            code="def double(x):\n    return 2 * x\n",
            test_cases=[TestCase(input="double(2)", expected_output="4")],
        )
    )
    (only,) = result.results
    assert only.index == 0
    assert only.status.value == "passed"
    assert only.execution_time_ms > 0
    assert only.memory_used_bytes > 0
    assert result.total_execution_time_ms >= only.execution_time_ms
    assert result.runtime_version == "3.12.0"


def test_concurrent_limits_get_their_own_verdicts(engine: Engine) -> None:
    # Host-side stops (output limit) and epoch traps (time limit) on parallel instances must not
    # be confused with each other.
    cases = [
        ("javascript", "while (true) console.log('x'.repeat(100));", Verdict.OUTPUT_LIMIT_EXCEEDED),
        ("javascript", "while (true) {}", Verdict.TIME_LIMIT_EXCEEDED),
        ("python", "while True:\n    print('x' * 100)\n", Verdict.OUTPUT_LIMIT_EXCEEDED),
        ("python", "while True:\n    pass\n", Verdict.TIME_LIMIT_EXCEEDED),
        ("javascript", "console.log(1)", Verdict.ACCEPTED),
        ("python", "print(1)", Verdict.ACCEPTED),
    ] * 2
    futures = [
        engine.submit(
            ExecutionRequest(language=lang, code=code, time_limit_ms=400, output_limit_bytes=5000)
        )
        for lang, code, _ in cases
    ]
    assert [f.result().verdict for f in futures] == [expected for _, _, expected in cases]


def test_a_corrupt_cached_module_is_rebuilt(cache_dir: Path, tmp_path: Path) -> None:
    (original,) = cache_dir.glob("javascript-*.cwasm")
    broken = tmp_path / original.name
    broken.write_bytes(b"not a compiled module")
    said: list[str] = []
    with Engine(tmp_path, warm_instances=0, progress=said.append) as eng:
        result = eng.execute(ExecutionRequest(language="javascript", code="console.log('ok')"))
    assert result.results[0].output == "ok\n"
    assert any("Preparing the javascript runtime" in m for m in said)
    assert broken.read_bytes() != b"not a compiled module"
    assert not list(tmp_path.glob("*.tmp"))


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ELLAAI_SANDBOX_CACHE", str(tmp_path / "from-env"))
    with Engine(warm_instances=0) as eng:
        assert eng.cache_dir == tmp_path / "from-env"


def test_command_line_lists_languages() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "sandbox", "languages"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert "python" in completed.stdout
    assert "javascript" in completed.stdout


def test_list_languages_without_an_engine(engine: Engine) -> None:
    assert list_languages() == engine.languages()


def test_engine_maxima_are_hard_caps(cache_dir: Path) -> None:
    with Engine(cache_dir, warm_instances=0, maxima=Maxima(time_limit_ms=300, test_cases=2)) as eng:
        result = eng.execute(
            ExecutionRequest(language="javascript", code="while (true) {}", time_limit_ms=60_000)
        )
        assert result.results[0].error == "time limit of 300 ms exceeded"
        with pytest.raises(InvalidRequest):
            eng.submit(
                ExecutionRequest(
                    language="javascript", code="1", test_cases=[TestCase(stdin="")] * 3
                )
            )


class _SilentPython(PythonRuntime):
    """A broken runtime: its harness ignores the protocol and exits."""

    id = "silent"
    aliases = ()
    harness = "import sys\ndef _ella():\n    sys.stdin.buffer.read()\n"


def test_a_runtime_that_breaks_the_protocol_is_an_internal_error(cache_dir: Path) -> None:
    with Engine(cache_dir, warm_instances=0, runtimes=[_SilentPython()]) as eng:
        result = eng.execute(
            ExecutionRequest(language="silent", code="print(1)", test_cases=[TestCase(stdin="")])
        )
    assert result.verdict is Verdict.INTERNAL_ERROR
    assert result.results[0].verdict is Verdict.INTERNAL_ERROR
    assert result.instances == 1  # no retry loop
