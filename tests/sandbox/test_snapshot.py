"""Building the pre-initialised Python module (sandbox.snapshot) refuses what it cannot do."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import Engine, ExecutionRequest, Verdict
from sandbox.errors import RuntimeSetupError
from sandbox.install import install_javascript
from sandbox.paths import default_runtime_dir
from sandbox.runtimes import PythonRuntime
from sandbox.snapshot import build_python_snapshot


def test_a_binary_laid_out_differently_is_refused_before_anything_runs() -> None:
    other = install_javascript(default_runtime_dir()).read_bytes()
    with pytest.raises(RuntimeSetupError, match="not the one the snapshot was written for"):
        build_python_snapshot(other, ["python", "-c", "pass"], "pass")


def test_a_harness_that_fails_to_start_stops_the_preparation_with_its_error(
    tmp_path: Path,
) -> None:
    broken = PythonRuntime(preload=("no_such_module_anywhere",))
    with (
        Engine(tmp_path, warm_instances=0, runtimes=[broken]) as engine,
        pytest.raises(RuntimeSetupError, match="no_such_module_anywhere"),
    ):
        engine.prepare(["python"])
    assert not list(tmp_path.glob("*.cwasm"))


def test_a_preload_is_part_of_the_cache_key(tmp_path: Path) -> None:
    assert PythonRuntime().module_recipe() != PythonRuntime(preload=("json",)).module_recipe()
    with Engine(tmp_path, warm_instances=0, runtimes=[PythonRuntime(preload=("json",))]) as eng:
        result = eng.execute(
            ExecutionRequest(language="python", code="import sys\nprint('json' in sys.modules)")
        )
    assert result.verdict is Verdict.ACCEPTED
    assert result.results[0].output == "True\n"
