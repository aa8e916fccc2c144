"""``python -m bench [NAME ...] [-- ARGS]``: run the registered benchmarks (all by default)."""

from __future__ import annotations

import importlib
import sys
import time

from bench import BENCHMARKS


def main(argv: list[str]) -> int:
    if "--" in argv:
        split = argv.index("--")
        names, extra = argv[:split], argv[split + 1 :]
    else:
        names, extra = argv, []
    if names in (["--list"], ["-l"]):
        print("\n".join(BENCHMARKS))
        return 0
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    for name in names or list(BENCHMARKS):
        print(f"== bench {name} ==", flush=True)
        started = time.perf_counter()
        importlib.import_module(BENCHMARKS[name]).main(extra)
        print(f"== bench {name}: {time.perf_counter() - started:.1f} s ==\n", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
