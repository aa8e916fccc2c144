"""One WebAssembly instance running one submission: the host side of the guest protocol.

Each :class:`GuestInstance` owns a thread on which a fresh store and instance run the runtime's
entry (``_start``, or a pre-initialised snapshot's ``run``). The harness's first read of fd 0
blocks (inside the host, the GIL released) until :meth:`GuestInstance.run` hands it a
:class:`GuestJob`; so an instance can be started ahead of time and its interpreter initialised
while nothing waits for it (the warm pool). An instance
serves exactly one job and is then dropped: two submissions never share an instance.

The host serves ``fd_read``, ``fd_write`` and ``poll_oneoff`` itself (shadowing the WASI ones):
fd 0 is the protocol channel, fd 1 and 2 are captured per test with an output limit, any other
descriptor is ``EBADF``; a sleep never outlasts the guest's deadline (a blocked host call cannot
be interrupted by the epoch, so an unbounded ``time.sleep`` would otherwise hold a worker).

The host functions never raise: wasmtime-py hands a host exception to the trapping call
through one process-wide variable, which races between instances on different threads.
To stop a guest (output limit, discarded instance) they record why on the instance and set
its epoch deadline to now, so the guest traps at its next epoch check.

There are no preopened directories, no inherited environment, no sockets: the
guest sees no host files and cannot reach the network or start processes.
"""

from __future__ import annotations

import json
import logging
import queue
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import wasmtime

from sandbox.ticker import EpochTicker

log = logging.getLogger(__name__)

_WASI = "wasi_snapshot_preview1"
_ESUCCESS = 0
_EBADF = 8
_EIO = 29

# Time the harness may spend outside tests (parsing the payload, compiling the code, between
# tests): bounded so a guest cannot escape the per-test budgets by looping outside a test.
HARNESS_BUDGET_MS = 3_000
# Time an instance may take to start its interpreter (before it asks for the payload).
INIT_BUDGET_MS = 20_000


class Crash(StrEnum):
    """How an instance ended abnormally (a trap or exit the harness could not report)."""

    TIMEOUT = "timeout"
    OUTPUT = "output"
    TRAP = "trap"
    EXIT = "exit"
    INTERNAL = "internal"


@dataclass(slots=True)
class Record:
    """What one test (or the setup step, ``position == -1``) did inside the guest."""

    position: int
    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    started: float = 0.0
    elapsed_ms: float = 0.0
    memory_bytes: int = 0
    kind: str | None = None  # ok | error | memory | exit; None while running
    detail: str = ""

    @property
    def size(self) -> int:
        return len(self.stdout) + len(self.stderr)


@dataclass(slots=True)
class GuestJob:
    """A submission handed to an instance: the payload and the per-test budgets."""

    payload: bytes
    budgets_ms: list[int]
    setup_budget_ms: int
    memory_limit_bytes: int
    output_limit_bytes: int
    done: threading.Event = field(default_factory=threading.Event)
    # filled by the instance
    records: dict[int, Record] = field(default_factory=dict)
    setup: Record | None = None
    compile_error: str | None = None
    crash: Crash | None = None
    crash_detail: str = ""
    crashed_position: int | None = None  # -1: during setup
    memory_at_crash: int = 0
    exit_code: int | None = None


class _Thread(threading.local):
    instance: GuestInstance | None = None


_current = _Thread()


@dataclass(slots=True)
class Prepared:
    """A runtime ready to instantiate: its engine, linked module and command line."""

    engine: wasmtime.Engine
    pre: wasmtime.InstancePre
    entry: str  # `_start`, or a function returning the exit status
    argv: list[str]
    ticker: EpochTicker
    init_memory_bytes: int


def make_linker(engine: wasmtime.Engine) -> wasmtime.Linker:
    """A WASI linker whose ``fd_read``/``fd_write`` are served by :class:`GuestInstance`."""
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    linker.allow_shadowing = True
    # A FuncType gets tied to the first engine it is used with: make fresh ones per linker.
    i32 = wasmtime.ValType.i32()
    io_type = wasmtime.FuncType([i32, i32, i32, i32], [i32])
    linker.define_func(_WASI, "fd_read", io_type, _guarded(_fd_read), access_caller=True)
    linker.define_func(_WASI, "fd_write", io_type, _guarded(_fd_write), access_caller=True)
    linker.define_func(_WASI, "poll_oneoff", io_type, _guarded(_poll_oneoff), access_caller=True)
    return linker


class _Linear:
    """The guest's linear memory during one host call. Read and written through one view, not
    one foreign call per access: each of those releases and retakes the GIL, which costs
    milliseconds per submission when other threads want it. Valid only within the call."""

    def __init__(self, memory: wasmtime.Memory, caller: wasmtime.Caller) -> None:
        self._view = memoryview(memory.get_buffer_ptr(caller)).cast("B")

    def __len__(self) -> int:
        return len(self._view)

    def _check(self, start: int, size: int) -> None:
        if start < 0 or size < 0 or start + size > len(self._view):
            raise IndexError(f"guest pointer {start}+{size} out of bounds")

    def read(self, start: int, size: int) -> bytes:
        self._check(start, size)
        return self._view[start : start + size].tobytes()

    def write(self, start: int, data: bytes) -> None:
        self._check(start, len(data))
        self._view[start : start + len(data)] = data

    def iovecs(self, iovs: int, count: int) -> list[tuple[int, int]]:
        raw = self.read(iovs, 8 * count)
        return [struct.unpack_from("<II", raw, 8 * i) for i in range(count)]


def _guarded(
    serve: Callable[[wasmtime.Caller, int, int, int, int], int],
) -> Callable[[wasmtime.Caller, int, int, int, int], int]:
    """Never let an exception cross into wasmtime (see the module docstring): a bug in the
    host functions stops the guest with an internal error instead."""

    def host(caller: wasmtime.Caller, fd: int, iovs: int, count: int, out: int) -> int:
        try:
            return serve(caller, fd, iovs, count, out)
        except Exception:
            log.exception("sandbox host function failed")
            instance = _current.instance
            if instance is not None:
                instance.halt_internal()
            return _EIO

    return host


def _fd_read(caller: wasmtime.Caller, fd: int, iovs: int, count: int, nread: int) -> int:
    instance = _current.instance
    if fd != 0 or instance is None:
        return _EBADF
    data = instance.read_payload()  # may block: take the view of the memory after it
    memory = instance.linear(caller)
    total = 0
    for ptr, length in memory.iovecs(iovs, count):
        chunk = data[total : total + length]
        if chunk:
            memory.write(ptr, chunk)
        total += len(chunk)
        if len(chunk) < length:
            break
    instance.consumed(total)
    memory.write(nread, struct.pack("<I", total))
    return _ESUCCESS


_SUBSCRIPTION = 48  # bytes of a WASI preview 1 `subscription`
_EVENT = 32  # bytes of an `event`
_CLOCK, _FD_READ, _FD_WRITE = 0, 1, 2
_ABSTIME = 1


def _poll_oneoff(caller: wasmtime.Caller, subs: int, events: int, count: int, nevents: int) -> int:
    """``poll_oneoff``, the one WASI call that blocks (``time.sleep``, ``os.sleep``): the guest
    cannot be interrupted while the host blocks, so the host never sleeps past the guest's
    current deadline; the guest then traps at its next epoch check."""
    instance = _current.instance
    if instance is None or count <= 0:
        return 28  # EINVAL
    memory = instance.linear(caller)
    raw = memory.read(subs, _SUBSCRIPTION * count)
    ready: list[tuple[int, int, int, int]] = []  # userdata, error, type, nbytes
    sleep_s: float | None = None
    clocks: list[int] = []
    for i in range(count):
        base = _SUBSCRIPTION * i
        userdata = struct.unpack_from("<Q", raw, base)[0]
        tag = raw[base + 8]
        if tag == _CLOCK:
            clock_id, timeout_ns = (
                struct.unpack_from("<IQ", raw, base + 16)[0],
                struct.unpack_from("<Q", raw, base + 24)[0],
            )
            flags = struct.unpack_from("<H", raw, base + 40)[0]
            wait = timeout_ns / 1e9
            if flags & _ABSTIME:
                wait = timeout_ns / 1e9 - instance.guest_clock(clock_id)
            sleep_s = max(0.0, wait) if sleep_s is None else min(sleep_s, max(0.0, wait))
            clocks.append(userdata)
        elif tag in (_FD_READ, _FD_WRITE):
            fd = struct.unpack_from("<I", raw, base + 16)[0]
            readable = tag == _FD_READ and fd == 0
            writable = tag == _FD_WRITE and fd in (0, 1, 2)
            error = _ESUCCESS if readable or writable else _EBADF
            ready.append((userdata, error, tag, 0))
        else:
            return 28
    if not ready and sleep_s is not None:
        instance.sleep(sleep_s)
        ready = [(userdata, _ESUCCESS, _CLOCK, 0) for userdata in clocks]
    out = bytearray(_EVENT * len(ready))
    for i, (userdata, error, kind, nbytes) in enumerate(ready):
        struct.pack_into("<QHB", out, _EVENT * i, userdata, error, kind)
        struct.pack_into("<Q", out, _EVENT * i + 16, nbytes)
    if out:
        memory.write(events, bytes(out))
    memory.write(nevents, struct.pack("<I", len(ready)))
    return _ESUCCESS


def _fd_write(caller: wasmtime.Caller, fd: int, iovs: int, count: int, nwritten: int) -> int:
    instance = _current.instance
    if fd not in (0, 1, 2) or instance is None:
        return _EBADF
    memory = instance.linear(caller)
    data = b"".join(memory.read(ptr, length) for ptr, length in memory.iovecs(iovs, count))
    if fd == 0:
        instance.control(data, len(memory))
    else:
        instance.output(fd, data)
    memory.write(nwritten, struct.pack("<I", len(data)))
    return _ESUCCESS


class GuestInstance:
    """A fresh instance on its own thread; :meth:`run` gives it its one job."""

    def __init__(self, prepared: Prepared, name: str = "guest") -> None:
        self._prepared = prepared
        self._jobs: queue.Queue[GuestJob | None] = queue.Queue(maxsize=1)
        self._lock = threading.Lock()
        self._finished = False
        self._taken = False
        self.ready = threading.Event()  # the interpreter is up and waits for its payload
        self._store: wasmtime.Store | None = None
        self._job: GuestJob | None = None
        self._payload = b""
        self._offset = 0
        self._control = bytearray()
        self._current: Record | None = None
        self._next_position = 0
        self._setup_done = False
        self._stray = bytearray()
        self._stop: Crash | None = None  # why the host stopped the guest, if it did
        self._discarded = False
        self._completed = False  # every test reported: the job is handed back already
        self._memory: wasmtime.Memory | None = None
        self._t0 = time.perf_counter()
        self._deadline_at = time.monotonic() + INIT_BUDGET_MS / 1000
        self._wasi_started = time.monotonic()
        self.init_ms = 0.0
        self._thread = threading.Thread(target=self._main, name=f"sandbox-{name}", daemon=True)
        self._thread.start()

    # -- called by the worker -------------------------------------------------------------

    def run(self, job: GuestJob, timeout: float | None = None) -> GuestJob:
        """Hand ``job`` to the instance and wait until it has run; returns the filled job."""
        with self._lock:
            if self._taken:
                raise RuntimeError("a GuestInstance runs one job only")
            self._taken = True
            if self._finished:
                job.crash = Crash.INTERNAL
                job.crash_detail = "the runtime stopped before it could take the submission"
                job.done.set()
                return job
            self._jobs.put(job)
        job.done.wait(timeout)
        return job

    @property
    def alive(self) -> bool:
        """False once the instance's thread has ended (it can no longer take a job)."""
        return not self._finished

    def discard(self) -> None:
        """Stop an instance that will get no job (engine closing, pool shrinking)."""
        with self._lock:
            if not self._taken:
                self._taken = True
                self._jobs.put(None)

    # -- the instance's thread -----------------------------------------------------------------

    def _main(self) -> None:
        _current.instance = self
        prepared = self._prepared
        try:
            store = wasmtime.Store(prepared.engine)
            self._store = store
            store.set_limits(memory_size=prepared.init_memory_bytes)
            store.set_epoch_deadline(prepared.ticker.ticks_for(INIT_BUDGET_MS))
            wasi = wasmtime.WasiConfig()
            wasi.argv = prepared.argv
            store.set_wasi(wasi)
            self._wasi_started = time.monotonic()
            instance = prepared.pre.instantiate(store)
            memory = instance.exports(store)["memory"]
            assert isinstance(memory, wasmtime.Memory)
            self._memory = memory
            entry = instance.exports(store)[prepared.entry]
            assert isinstance(entry, wasmtime.Func)
            status = entry(store)  # `_start` returns nothing, a snapshot's entry its exit status
            if isinstance(status, int) and status != 0:
                self._exited(status)
            elif self._stop is not None:
                self._crash(self._stop, _STOP_DETAIL[self._stop])
        except wasmtime.ExitTrap as exc:
            self._exited(exc.code)
        except wasmtime.Trap as exc:
            if self._stop is not None:
                self._crash(self._stop, _STOP_DETAIL[self._stop])
            elif exc.trap_code == wasmtime.TrapCode.INTERRUPT:
                self._crash(Crash.TIMEOUT, "time limit exceeded")
            else:
                self._crash(Crash.TRAP, _trap_message(exc))
        except Exception as exc:
            if self._stop is not None:
                self._crash(self._stop, _STOP_DETAIL[self._stop])
            elif not self._discarded:
                log.error("sandbox instance failed: %s: %s", type(exc).__name__, exc)
                self._crash(Crash.INTERNAL, f"{type(exc).__name__}: {exc}")
        finally:
            self._finish()
            _current.instance = None

    def _exited(self, code: int) -> None:
        if self._stop is not None:
            self._crash(self._stop, _STOP_DETAIL[self._stop])
        elif code != 0 or self._current is not None:
            self._crash(Crash.EXIT, f"the program exited with code {code}", code)

    def _crash(self, kind: Crash, detail: str, exit_code: int | None = None) -> None:
        job = self._job
        if job is None or self._completed:
            return
        job.crash = kind
        job.crash_detail = detail
        job.exit_code = exit_code
        record = self._current
        if record is not None:
            record.elapsed_ms = (time.perf_counter() - record.started) * 1000
            job.crashed_position = record.position
        if self._memory is not None and self._store is not None:
            job.memory_at_crash = self._memory.data_len(self._store)
            if record is not None:
                record.memory_bytes = job.memory_at_crash

    def _finish(self) -> None:
        with self._lock:
            self._finished = True
            pending = None
            if self._job is None:
                try:
                    pending = self._jobs.get_nowait()
                except queue.Empty:
                    pending = None
        job = self._job or pending
        if job is not None:
            if self._job is None:
                job.crash = Crash.INTERNAL
                job.crash_detail = "the runtime failed to start"
            job.done.set()
        self._store = None
        self._memory = None

    # -- host calls (on the instance's thread, from inside the guest) ------------------------

    def read_payload(self) -> bytes:
        if self._job is None:
            self.init_ms = (time.perf_counter() - self._t0) * 1000
            self.ready.set()
            job = self._jobs.get()
            if job is None:
                # No job will come: end of input, and trap at the next epoch check.
                self._discarded = True
                self._deadline(0)
                return b""
            self._job = job
            self._payload = job.payload
            store = self._store
            assert store is not None
            store.set_limits(memory_size=job.memory_limit_bytes)
            self._deadline(HARNESS_BUDGET_MS)
        return self._payload[self._offset :]

    def linear(self, caller: wasmtime.Caller) -> _Linear:
        memory = self._memory
        assert memory is not None  # host calls come after instantiation
        return _Linear(memory, caller)

    def consumed(self, count: int) -> None:
        self._offset += count

    def _deadline(self, ms: float) -> None:
        store = self._store
        assert store is not None
        if (self._stop is not None or self._completed) and ms > 0:
            return  # a stopped guest gets no new budget
        store.set_epoch_deadline(self._prepared.ticker.ticks_for(ms) if ms > 0 else 0)
        self._deadline_at = time.monotonic() + ms / 1000

    def sleep(self, seconds: float) -> None:
        """Sleep for the guest, but never past its deadline: then it traps right after."""
        remaining = self._deadline_at - time.monotonic()
        if seconds < remaining:
            time.sleep(max(0.0, seconds))
            return
        time.sleep(max(0.0, remaining))
        store = self._store
        assert store is not None
        store.set_epoch_deadline(0)  # the time is up: trap (as a time-out) at the next check

    def guest_clock(self, clock_id: int) -> float:
        """The guest's view of a WASI clock, in seconds: realtime is the host's wall clock;
        wasmtime starts the monotonic clock at zero when the WASI context is created."""
        if clock_id == 0:
            return time.time()
        return time.monotonic() - self._wasi_started

    def output(self, fd: int, data: bytes) -> None:
        job = self._job
        record = self._current
        if self._stop is not None or self._completed:
            return
        if job is None or record is None:
            # Output outside a test (during start-up or between tests) is kept, bounded.
            room = (job.output_limit_bytes if job else 65536) - len(self._stray)
            self._stray += data[: max(0, room)]
            if room < len(data) and job is not None:
                self._halt(Crash.OUTPUT)
            return
        room = job.output_limit_bytes - record.size
        target = record.stdout if fd == 1 else record.stderr
        if len(data) > room:
            target += data[: max(0, room)]
            record.truncated = True
            self._halt(Crash.OUTPUT)
            return
        target += data

    def _complete(self) -> None:
        """Hand the job back now and stop the guest: the interpreter's own shutdown (tens of
        milliseconds in CPython-on-WASI) would only add latency and burn CPU."""
        job = self._job
        assert job is not None
        self._completed = True
        self._discarded = True  # whatever ends the guest now is expected
        self._deadline(0)
        job.done.set()

    def halt_internal(self) -> None:
        if self._job is None:
            self._discarded = True
            self._deadline(0)
        else:
            self._halt(Crash.INTERNAL)

    def _halt(self, reason: Crash) -> None:
        """Stop the guest at its next epoch check (see the module docstring)."""
        self._stop = reason
        self._deadline(0)

    def control(self, data: bytes, memory_bytes: int) -> None:
        self._control += data
        if len(self._control) > _CONTROL_CAP and b"\n" not in self._control:
            # the guest's own code can write here too: never buffer without bound
            del self._control[_CONTROL_CAP:]
        while (newline := self._control.find(b"\n")) >= 0:
            line = bytes(self._control[:newline]).decode("utf-8", "replace")
            del self._control[: newline + 1]
            self._message(line, memory_bytes)

    def _message(self, line: str, memory_bytes: int) -> None:
        job = self._job
        if job is None or self._completed:
            return
        tag, _, rest = line.partition(" ")
        now = time.perf_counter()
        # Messages out of order are ignored: the candidate's code shares the guest with the
        # harness and could forge them, but gains nothing (budgets only start in order, once).
        if tag == "C" and job.compile_error is None and self._current is None:
            job.compile_error = _clip(_json_str(rest))
            self._complete()
        elif tag == "S" and not self._setup_done and self._current is None:
            self._setup_done = True
            job.setup = self._current = Record(position=-1, started=now)
            self._deadline(job.setup_budget_ms)
        elif tag == "B" and self._current is None and rest == str(self._next_position):
            position = self._next_position
            if position >= len(job.budgets_ms):
                return
            self._next_position += 1
            self._current = record = Record(position=position, started=now)
            job.records[position] = record
            self._deadline(job.budgets_ms[position])
        elif tag in ("E", "s") and self._current is not None:
            record = self._current
            position_text, _, rest = rest.partition(" ") if tag == "E" else ("-1", "", rest)
            if position_text != str(record.position):
                return
            kind, _, detail = rest.partition(" ")
            record.elapsed_ms = (now - record.started) * 1000
            record.memory_bytes = memory_bytes
            record.kind = kind if kind in ("ok", "error", "memory", "exit") else "error"
            record.detail = _clip(_json_str(detail))
            self._current = None
            if tag == "E" and record.position == len(job.budgets_ms) - 1:
                self._complete()
            else:
                self._deadline(HARNESS_BUDGET_MS)


_CONTROL_CAP = 1024 * 1024  # longest protocol line kept (error details are cut there)

_STOP_DETAIL = {Crash.OUTPUT: "output limit exceeded", Crash.INTERNAL: "stopped by the host"}


_DETAIL_CAP = 64 * 1024  # characters of an error message or traceback kept


def _clip(text: str) -> str:
    if len(text) <= _DETAIL_CAP:
        return text
    return text[: _DETAIL_CAP // 2] + "\n... (cut) ...\n" + text[-_DETAIL_CAP // 2 :]


def _json_str(text: str) -> str:
    try:
        # strict=False: the Python harness writes JSON strings by hand, control characters raw
        value = json.loads(text, strict=False) if text else ""
    except ValueError:
        return text
    return value if isinstance(value, str) else json.dumps(value)


def _trap_message(exc: wasmtime.Trap) -> str:
    code = exc.trap_code
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return "stack overflow (recursion too deep)"
    if code == wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS:
        what = "out-of-bounds memory access"
    elif code == wasmtime.TrapCode.UNREACHABLE:
        what = "aborted"
    else:
        what = exc.message.splitlines()[0] if exc.message else str(code)
    # The runtimes' C stacks live in linear memory without a guard: overflowing them (deep
    # recursion) is what crashes an interpreter in practice.
    return f"the runtime crashed ({what}); most likely the recursion was too deep"
