"""One thread per engine that advances wasmtime's epoch at a fixed rate.

Every store sets its own deadline in ticks (:meth:`EpochTicker.ticks_for`); a guest still running
when the engine's epoch passes its deadline traps with ``TrapCode.INTERRUPT``. The ticker is
drift-free (it sleeps until the next multiple of the interval, not for an interval) while it
keeps up, and never fires faster than its interval, so a deadline is never reached early.
"""

from __future__ import annotations

import math
import threading
import time

import wasmtime


class EpochTicker:
    def __init__(self, engine: wasmtime.Engine, interval_ms: float = 5.0) -> None:
        self.interval_ms = interval_ms
        self._engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-epoch", daemon=True)
        self._thread.start()

    def ticks_for(self, ms: float) -> int:
        """Ticks that cover at least ``ms`` milliseconds from now (one extra for the partial)."""
        return max(1, math.ceil(ms / self.interval_ms) + 1)

    def _run(self) -> None:
        interval = self.interval_ms / 1000
        next_tick = time.monotonic() + interval
        while not self._stop.wait(max(0.0, next_tick - time.monotonic())):
            self._engine.increment_epoch()
            next_tick += interval
            now = time.monotonic()
            if next_tick < now:
                # Late (a loaded machine did not run this thread): skip the missed ticks. A burst
                # of catch-up ticks would run a deadline out early and report a time-out before
                # the time limit had passed; skipping only ever gives a guest more time.
                next_tick = now + interval

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
