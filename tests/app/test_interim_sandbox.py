from __future__ import annotations

import pytest

from app.interim_sandbox import InterimPythonRunner
from ui.ports import SampleTest, UserFacingError, Verdict

TESTS = (SampleTest("one", "add(1, 2)", "3"), SampleTest("two", "add(2, 2)", "5"))


@pytest.fixture(scope="module")
def runner(sandbox_cache):
    r = InterimPythonRunner(sandbox_cache)
    progress: list[float] = []
    r.prepare(progress.append)
    assert r.compiled
    return r


def test_verdicts_and_output(runner):
    report = runner.run("python", "def add(a, b):\n    print('hi')\n    return a + b\n", TESTS)
    assert [o.verdict for o in report.outcomes] == [Verdict.PASSED, Verdict.FAILED]
    assert report.outcomes[1].actual == "4" and report.outcomes[0].output == "hi\n"


def test_syntax_error_is_a_load_error(runner):
    report = runner.run("python", "def add(a, b) return", TESTS)
    assert report.error and "SyntaxError" in report.error


def test_exception_is_an_error_verdict(runner):
    report = runner.run("python", "def add(a, b):\n    return a / 0\n", TESTS)
    assert report.outcomes[0].verdict is Verdict.ERROR
    assert "ZeroDivisionError" in report.outcomes[0].actual


def test_no_host_files(runner):
    code = "def add(a, b):\n    return open('/etc/passwd').read()[:4]\n"
    report = runner.run("python", code, TESTS[:1])
    assert report.outcomes[0].verdict is Verdict.ERROR


def test_cached_module_is_reused(sandbox_cache, runner):
    assert InterimPythonRunner(sandbox_cache).compiled


def test_javascript_is_not_available_yet(runner):
    with pytest.raises(UserFacingError):
        runner.run("javascript", "function add(a, b) { return a + b }", TESTS)
