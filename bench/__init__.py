"""Benchmarks, each printing a table: ``python -m bench`` runs them all, ``python -m bench NAME``
one of them (``python -m bench --list`` names them).

Register a benchmark by adding ``name -> module`` to :data:`BENCHMARKS`; the module defines
``main(argv: list[str]) -> None``. Modules are imported only when their benchmark runs, so one
package's heavy imports never slow down another's.
"""

from __future__ import annotations

BENCHMARKS: dict[str, str] = {
    "desktop": "bench.desktop",
    "sandbox": "bench.sandbox",
    "proctoring": "bench.proctoring",
    "sync": "bench.sync",
}
