"""The :class:`Engine`: one wasmtime engine, one epoch ticker, the compiled runtimes, a warm pool of
fresh instances per language, and a bounded worker pool in front of them."""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import wasmtime

from sandbox.cache import WASMTIME_VERSION, ModuleCache, ProgressCallback
from sandbox.errors import EngineClosed, LanguageNotAvailable, SandboxBusy
from sandbox.guest import GuestInstance, Prepared, make_linker
from sandbox.judge import judge
from sandbox.limits import Maxima
from sandbox.models import ExecutionRequest, ExecutionResult, LanguageInfo, clamp_request
from sandbox.paths import default_cache_dir, default_runtime_dir
from sandbox.runtimes import Runtime, default_runtimes
from sandbox.ticker import EpochTicker

log = logging.getLogger(__name__)

# Part of the compiled-module cache key: change it whenever the wasmtime.Config below changes.
_CONFIG_ID = "epoch_interruption=1;cranelift_opt_level=speed;max_wasm_stack=default"


def language_infos(runtimes: Sequence[Runtime]) -> list[LanguageInfo]:
    """What ``runtimes`` offer, installed or not (no engine, no compilation needed)."""
    infos = []
    for runtime in runtimes:
        binary = runtime.locate()
        infos.append(
            LanguageInfo(
                id=runtime.id,
                name=runtime.name,
                version=binary.version if binary else "",
                runtime=runtime.runtime_name,
                aliases=list(runtime.aliases),
                file_extension=runtime.file_extension,
                installed=binary is not None,
                detail="" if binary else runtime.install_hint(),
            )
        )
    return infos


def list_languages(runtime_dir: Path | str | None = None) -> list[LanguageInfo]:
    """The languages of the default runtimes, without starting an :class:`Engine`."""
    folder = Path(runtime_dir) if runtime_dir is not None else default_runtime_dir()
    return language_infos(default_runtimes(folder))


class _WarmPool:
    """Fresh instances of one runtime, started ahead of time; each is handed out once."""

    def __init__(self, prepared: Prepared, name: str, size: int) -> None:
        self._prepared = prepared
        self._name = name
        self.size = size
        self._ready: collections.deque[GuestInstance] = collections.deque()
        self._lock = threading.Lock()
        self._closed = False
        self.fill()

    def fill(self) -> None:
        """Start instances until the pool is full again."""
        with self._lock:
            while not self._closed and len(self._ready) < self.size:
                self._ready.append(GuestInstance(self._prepared, self._name))

    def take(self) -> GuestInstance:
        with self._lock:
            instance = None
            while self._ready and instance is None:
                candidate = self._ready.popleft()
                # one that died while waiting (start-up failed) is dropped, not handed out
                instance = candidate if candidate.alive else None
        if instance is None:
            instance = GuestInstance(self._prepared, self._name)
        # No refill here: the engine refills once the submission's result is out.
        return instance

    def close(self) -> None:
        with self._lock:
            self._closed = True
            instances = list(self._ready)
            self._ready.clear()
        for instance in instances:
            instance.discard()


class Engine:
    """Runs candidates' code in WebAssembly. Thread-safe; create one per process and close it.

    ``warm_instances`` fresh instances per language are kept started (interpreter initialised,
    waiting for a submission) once that language has been used or :meth:`prepare`\\ d; each
    serves one submission only.
    """

    def __init__(
        self,
        cache_dir: Path | str | None = None,
        *,
        runtime_dir: Path | str | None = None,
        max_workers: int = 2,
        max_queue: int = 32,
        warm_instances: int = 2,
        maxima: Maxima | None = None,
        progress: ProgressCallback | None = None,
        runtimes: Sequence[Runtime] | None = None,
    ) -> None:
        if max_workers < 1 or max_queue < 0 or warm_instances < 0:
            raise ValueError("max_workers >= 1, max_queue >= 0 and warm_instances >= 0")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self.runtime_dir = Path(runtime_dir) if runtime_dir is not None else default_runtime_dir()
        self.max_workers = max_workers
        self.max_queue = max_queue
        self.warm_instances = warm_instances
        self.maxima = maxima or Maxima()
        config = wasmtime.Config()
        config.epoch_interruption = True
        config.cranelift_opt_level = "speed"
        self._wasm = wasmtime.Engine(config)
        self._ticker = EpochTicker(self._wasm)
        self._cache = ModuleCache(self.cache_dir, self._wasm, _CONFIG_ID, progress)
        self._runtimes = (
            list(runtimes) if runtimes is not None else default_runtimes(self.runtime_dir)
        )
        self._prepared: dict[str, Prepared] = {}
        self._pools: dict[str, _WarmPool] = {}
        self._versions: dict[str, str] = {}
        self._prepare_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_workers + max_queue)
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="sandbox-worker")
        self._closed = False

    # -- languages -----------------------------------------------------------------------------

    def languages(self) -> list[LanguageInfo]:
        """Every language this engine knows, with its version and whether it is installed."""
        return language_infos(self._runtimes)

    def runtime(self, language: str) -> Runtime:
        """The runtime serving ``language`` (its id or an alias)."""
        key = language.strip().lower()
        for runtime in self._runtimes:
            if key == runtime.id or key in runtime.aliases:
                return runtime
        raise LanguageNotAvailable(language, "unknown language")

    def prepare(self, languages: Iterable[str] | None = None) -> None:
        """Compile (or load from the cache) and warm the given languages (default: all
        installed). Blocking: the first preparation of Python (snapshot and compile) takes
        15-50 s; call it off the GUI thread. Raises :class:`LanguageNotAvailable` for a
        language that is not installed only when it was named explicitly."""
        if languages is None:
            names = [r.id for r in self._runtimes if r.locate() is not None]
        else:
            names = list(languages)
        for name in names:
            self._pool(self.runtime(name))

    def _pool(self, runtime: Runtime) -> _WarmPool:
        with self._prepare_lock:
            if self._closed:
                raise EngineClosed("the sandbox engine is closed")
            pool = self._pools.get(runtime.id)
            if pool is not None:
                return pool
            binary = runtime.locate()
            if binary is None:
                raise LanguageNotAvailable(runtime.id, runtime.install_hint())
            recipe = runtime.module_recipe()
            module = self._cache.load(
                runtime.id,
                binary.path,
                binary.sha256,
                recipe=recipe,
                build=runtime.prepare_module if recipe else None,
            )
            linker = make_linker(self._wasm)
            prepared = Prepared(
                engine=self._wasm,
                pre=linker.instantiate_pre(module),
                entry=runtime.entry,
                argv=runtime.argv(),
                ticker=self._ticker,
                init_memory_bytes=self.maxima.memory_limit_bytes,
            )
            self._prepared[runtime.id] = prepared
            self._versions[runtime.id] = binary.version
            pool = _WarmPool(prepared, runtime.id, self.warm_instances)
            self._pools[runtime.id] = pool
            return pool

    # -- running -------------------------------------------------------------------------------

    def submit(self, request: ExecutionRequest) -> Future[ExecutionResult]:
        """Queue ``request``; raises :class:`SandboxBusy` when workers and queue are full.

        The engine's ``maxima`` are hard caps: limits above them are lowered silently (call
        :func:`clamp_request` first to tell the caller what was lowered); too many tests or
        too much code raise :class:`InvalidRequest`."""
        if self._closed:
            raise EngineClosed("the sandbox engine is closed")
        request, _ = clamp_request(request, self.maxima)
        runtime = self.runtime(request.language)
        if runtime.locate() is None:
            raise LanguageNotAvailable(runtime.id, runtime.install_hint())
        if not self._slots.acquire(blocking=False):
            raise SandboxBusy(self.max_workers, self.max_queue)
        try:
            future = self._executor.submit(self._execute, runtime, request)
        except RuntimeError as exc:  # executor shut down meanwhile
            self._slots.release()
            raise EngineClosed("the sandbox engine is closed") from exc
        future.add_done_callback(lambda _: self._slots.release())
        # Refill the warm pool only once the result is out (a callback runs after waiters are
        # woken): a starting instance would compete with the submission for the CPU and GIL.
        future.add_done_callback(lambda _: self._refill(runtime))
        return future

    def execute(self, request: ExecutionRequest) -> ExecutionResult:
        """Run ``request`` and wait for its result (blocking; not on a GUI or event-loop thread)."""
        return self.submit(request).result()

    async def execute_async(self, request: ExecutionRequest) -> ExecutionResult:
        """Run ``request`` on the worker pool and await its result without blocking the loop."""
        return await asyncio.wrap_future(self.submit(request))

    def _execute(self, runtime: Runtime, request: ExecutionRequest) -> ExecutionResult:
        pool = self._pool(runtime)
        return judge(request, runtime, self._versions[runtime.id], pool.take)

    def _refill(self, runtime: Runtime) -> None:
        pool = self._pools.get(runtime.id)
        if pool is not None:
            pool.fill()

    # -- lifetime ------------------------------------------------------------------------------

    def close(self) -> None:
        """Wait for running work, stop the warm instances and the ticker. Idempotent."""
        with self._prepare_lock:
            if self._closed:
                return
            self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)
        for pool in self._pools.values():
            pool.close()
        self._ticker.stop()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def wasmtime_version(self) -> str:
        return WASMTIME_VERSION
