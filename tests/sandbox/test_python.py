"""Every verdict with real Python programs in the real CPython-on-WASI runtime."""

from __future__ import annotations

import time

import pytest

from sandbox import Comparison, Engine, TestCase, TestStatus, Verdict

from .conftest import Runner

FIB = """
def fibonacci(n):
    if n <= 1:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)

print("top-level output")
"""


@pytest.fixture(scope="module")
def run(engine: Engine) -> Runner:
    return Runner(engine, "python")


def test_expression_tests_pass_in_one_instance(run: Runner) -> None:
    result = run(
        FIB,
        [
            TestCase(input="fibonacci(0)", expected_output="0"),
            TestCase(input="fibonacci(10)", expected_output="55"),
            TestCase(input="[fibonacci(i) for i in range(5)]", expected_output="[0, 1, 1, 2, 3]"),
            TestCase(input="'plain string'", expected_output="plain string"),
            TestCase(input="None", expected_output=""),
            TestCase(input="x = fibonacci(7)\nprint(x * 2)", expected_output="26"),
        ],
    )
    assert [r.verdict for r in result.results] == [Verdict.ACCEPTED] * 6
    assert result.verdict is Verdict.ACCEPTED
    assert result.overall_status is TestStatus.PASSED
    assert result.instances == 1
    assert result.setup_output == "top-level output\n"
    assert result.results[1].output == "55\n"
    assert all(r.memory_used_bytes > 0 for r in result.results)
    assert result.analysis is not None and result.analysis.complexity == "O(2^n)"


def test_stdin_program(run: Runner) -> None:
    code = (
        "import sys\n"
        "a, b = map(int, input().split())\n"
        "rest = sys.stdin.read().split()\n"
        "print(a + b, len(rest))\n"
    )
    result = run(
        code,
        [
            TestCase(stdin="1 2\n", expected_output="3 0"),
            TestCase(stdin="5 5\nx y z", expected_output="10 3"),
            TestCase(stdin="2 2\n", expected_output="5 0"),
        ],
    )
    assert [r.verdict for r in result.results] == [
        Verdict.ACCEPTED,
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
    ]
    assert result.verdict is Verdict.WRONG_ANSWER
    assert result.overall_status is TestStatus.FAILED
    assert result.results[2].status is TestStatus.FAILED
    assert result.results[2].output == "4 0\n"


def test_stdin_tests_start_from_a_fresh_namespace(run: Runner) -> None:
    code = "try:\n    seen\nexcept NameError:\n    seen = 0\nseen += 1\nprint(seen)\n"
    result = run(code, [TestCase(stdin="", expected_output="1")] * 3)
    assert result.verdict is Verdict.ACCEPTED


def test_comparison_modes(run: Runner) -> None:
    code = "import math\nprint(math.pi)\nprint('end  ')\n"
    result = run(
        code,
        [
            TestCase(stdin="", expected_output="3.14159265 end", comparison=Comparison.FLOAT),
            TestCase(stdin="", expected_output="3.14 end", comparison=Comparison.FLOAT),
            TestCase(
                stdin="", expected_output="3.14 end", comparison=Comparison.FLOAT, tolerance=0.01
            ),
            TestCase(
                stdin="", expected_output="3.141592653589793\nend", comparison=Comparison.EXACT
            ),
            TestCase(stdin="", expected_output="3.141592653589793\nend\n"),
        ],
    )
    assert [r.verdict for r in result.results] == [
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
        Verdict.ACCEPTED,
        Verdict.WRONG_ANSWER,
        Verdict.ACCEPTED,
    ]


def test_syntax_error_is_a_compilation_error(run: Runner) -> None:
    result = run("def f(:\n    pass\n", [TestCase(input="f()", expected_output="1")] * 2)
    assert result.verdict is Verdict.COMPILATION_ERROR
    assert result.compile_error is not None and "SyntaxError" in result.compile_error
    assert [r.verdict for r in result.results] == [Verdict.COMPILATION_ERROR] * 2
    assert result.overall_status is TestStatus.FAILED


def test_runtime_error_has_a_traceback(run: Runner) -> None:
    code = "def div(a, b):\n    return a / b\n"
    result = run(
        code,
        [
            TestCase(input="div(1, 0)", expected_output="x"),
            TestCase(input="div(4, 2)", expected_output="2.0"),
        ],
    )
    first, second = result.results
    assert first.verdict is Verdict.RUNTIME_ERROR
    assert first.error is not None
    assert "ZeroDivisionError" in first.error
    assert 'File "<solution>", line 2, in div' in first.error
    assert "_ella" not in first.error  # harness frames are hidden
    assert "    return a / b\n" in first.error  # the candidate's own source line
    assert second.verdict is Verdict.ACCEPTED
    assert result.instances == 1


def test_error_at_top_level_fails_every_expression_test(run: Runner) -> None:
    result = run("raise ValueError('broken')\n", [TestCase(input="1", expected_output="1")] * 2)
    assert [r.verdict for r in result.results] == [Verdict.RUNTIME_ERROR] * 2
    assert all("ValueError: broken" in (r.error or "") for r in result.results)


def test_exit_codes(run: Runner) -> None:
    result = run("import sys\nsys.exit(int(input()))\n", [TestCase(stdin="0"), TestCase(stdin="3")])
    assert [r.verdict for r in result.results] == [Verdict.ACCEPTED, Verdict.RUNTIME_ERROR]
    assert result.results[1].error == "exit code 3"


def test_hard_exit_mid_test_keeps_the_other_results(run: Runner) -> None:
    code = "import os\nn = int(input())\nprint(n)\nif n == 2:\n    os._exit(5)\n"
    result = run(code, [TestCase(stdin=str(i), expected_output=str(i)) for i in range(1, 4)])
    assert [r.verdict for r in result.results] == [
        Verdict.ACCEPTED,
        Verdict.RUNTIME_ERROR,
        Verdict.ACCEPTED,
    ]
    assert "exited with code 5" in (result.results[1].error or "")
    assert result.instances == 2


def test_infinite_loop_is_a_time_limit_and_other_tests_survive(run: Runner) -> None:
    code = "def f(n):\n    while n == 2:\n        pass\n    return n\n"
    result = run(
        code,
        [
            TestCase(input="f(1)", expected_output="1"),
            TestCase(input="f(2)", expected_output="2", timeout_ms=300),
            TestCase(input="f(3)", expected_output="3"),
        ],
    )
    assert [r.verdict for r in result.results] == [
        Verdict.ACCEPTED,
        Verdict.TIME_LIMIT_EXCEEDED,
        Verdict.ACCEPTED,
    ]
    assert result.verdict is Verdict.TIME_LIMIT_EXCEEDED
    assert 290 <= result.results[1].execution_time_ms < 1000
    assert result.instances == 2


def test_time_limit_of_the_request_applies_per_test(run: Runner) -> None:
    result = run("while True:\n    pass\n", [TestCase(stdin="")], time_limit_ms=200)
    assert result.verdict is Verdict.TIME_LIMIT_EXCEEDED
    assert result.results[0].error == "time limit of 200 ms exceeded"


def test_memory_bomb(run: Runner) -> None:
    code = "blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 20))\n"
    result = run(code, [TestCase(stdin="")], memory_limit_bytes=48 * 1024**2)
    assert result.verdict is Verdict.MEMORY_LIMIT_EXCEEDED
    assert "MemoryError" in (result.results[0].error or "")
    assert result.results[0].memory_used_bytes <= 48 * 1024**2


def test_deep_recursion_is_a_runtime_error(run: Runner) -> None:
    code = "def down(n):\n    return down(n + 1) + 1\n"
    result = run(code, [TestCase(input="down(0)"), TestCase(input="40 + 2", expected_output="42")])
    assert result.results[0].verdict is Verdict.RUNTIME_ERROR
    assert "RecursionError" in (result.results[0].error or "")
    assert result.results[1].verdict is Verdict.ACCEPTED


def test_unbounded_recursion_hits_a_limit_and_the_host_survives(run: Runner) -> None:
    # Python 3.12 keeps Python frames on the heap: with the recursion limit lifted, the
    # recursion eats the memory limit (or the time limit while collecting garbage near it).
    code = "import sys\nsys.setrecursionlimit(10**7)\ndef down(n):\n    return down(n + 1) + 1\n"
    result = run(
        code,
        [
            TestCase(input="down(0)", timeout_ms=1500),
            TestCase(input="40 + 2", expected_output="42"),
        ],
        memory_limit_bytes=48 * 1024**2,
    )
    assert result.results[0].verdict in {
        Verdict.MEMORY_LIMIT_EXCEEDED,
        Verdict.RUNTIME_ERROR,
        Verdict.TIME_LIMIT_EXCEEDED,
    }
    assert result.results[1].verdict is Verdict.ACCEPTED


def test_output_flood_is_truncated(run: Runner) -> None:
    result = run(
        "while True:\n    print('flood' * 100)\n", [TestCase(stdin="")], output_limit_bytes=10_000
    )
    only = result.results[0]
    assert only.verdict is Verdict.OUTPUT_LIMIT_EXCEEDED
    assert only.output_truncated
    assert len(only.output.encode()) <= 10_000
    assert only.output.startswith("floodflood")
    assert "output limit of 10000 bytes exceeded" in (only.error or "")


def test_very_long_single_line(run: Runner) -> None:
    result = run(
        "print('x' * 500_000)\n",
        [TestCase(stdin="", expected_output="x" * 500_000)],
        output_limit_bytes=1_000_000,
    )
    assert result.verdict is Verdict.ACCEPTED
    assert len(result.results[0].output) == 500_001


def test_invalid_utf8_output_is_replaced(run: Runner) -> None:
    result = run("import sys\nsys.stdout.buffer.write(b'\\xff\\xfe ok\\n')\n")
    assert result.verdict is Verdict.ACCEPTED
    assert result.results[0].output == "\ufffd\ufffd ok\n"


def test_no_host_files(run: Runner) -> None:
    result = run("print(open('/etc/passwd').read())\n")
    assert result.verdict is Verdict.RUNTIME_ERROR
    assert "FileNotFoundError" in (result.results[0].error or "")
    listing = run("import os\nprint(os.listdir('/'))\n")
    assert listing.verdict is Verdict.RUNTIME_ERROR
    assert "root" not in listing.results[0].output


def test_no_sockets(run: Runner) -> None:
    result = run("import socket\ns = socket.socket()\ns.connect(('127.0.0.1', 80))\n")
    assert result.verdict is Verdict.RUNTIME_ERROR
    assert "OSError" in (result.results[0].error or "")


def test_no_processes(run: Runner) -> None:
    result = run("import subprocess\nprint(subprocess.run(['ls', '/'], capture_output=True))\n")
    assert result.verdict is Verdict.RUNTIME_ERROR
    no_fork = run("import os\nprint(os.fork())\n")
    assert no_fork.verdict is Verdict.RUNTIME_ERROR


def test_no_environment(run: Runner) -> None:
    result = run("import os\nprint(dict(os.environ))\n", [TestCase(stdin="", expected_output="{}")])
    assert result.verdict is Verdict.ACCEPTED


def test_submissions_do_not_share_an_instance(run: Runner) -> None:
    first = run("import builtins\nbuiltins.leak = 'secret'\nprint('set')\n")
    assert first.verdict is Verdict.ACCEPTED
    second = run(
        "import builtins\nprint(hasattr(builtins, 'leak'))\n",
        [TestCase(stdin="", expected_output="False")],
    )
    assert second.verdict is Verdict.ACCEPTED


def test_state_left_in_the_snapshot_modules_is_not_seen_by_the_next_submission(
    run: Runner,
) -> None:
    # Every instance starts from the same pre-initialised memory image, copy-on-write: what one
    # submission changes in preloaded modules, the harness or the heap stays in its instance.
    leak = (
        "import typing, sys, gc\n"
        "typing.leak = 'secret'\n"
        "sys.modules['__main__'].__dict__['_ella'] = None\n"
        "sys.setrecursionlimit(50)\n"
        "gc.unfreeze()\n"
        "big = bytearray(8 << 20)\n"
        "print('set')\n"
    )
    assert run(leak).verdict is Verdict.ACCEPTED
    second = run(
        "import typing, sys, gc\n"
        "print(hasattr(typing, 'leak'), sys.getrecursionlimit(), gc.get_freeze_count() > 0)\n",
        [TestCase(stdin="", expected_output="False 1000 True")],
    )
    assert second.verdict is Verdict.ACCEPTED, second.results[0]


def test_preloaded_modules_are_there_and_random_is_reseeded_per_submission(run: Runner) -> None:
    code = (
        "import sys, random\n"
        "print('typing' in sys.modules, 'math' in sys.modules)\n"
        "print(random.random())\n"
    )
    first, second = run(code), run(code)
    assert first.verdict is second.verdict is Verdict.ACCEPTED
    assert first.results[0].output.splitlines()[0] == "True True"
    assert first.results[0].output != second.results[0].output


def test_no_tests_runs_the_program_once(run: Runner) -> None:
    result = run("print('hello')\n")
    assert result.verdict is Verdict.ACCEPTED
    assert [r.output for r in result.results] == ["hello\n"]


def test_error_messages_survive_any_characters(run: Runner) -> None:
    result = run(
        "raise ValueError('tab\\there \\x01 \\u00fcn\\u00efc\\u00f6de \"quoted\" \\\\ back')\n"
    )
    error = result.results[0].error or ""
    assert 'ValueError: tab\there \x01 \u00fcn\u00efc\u00f6de "quoted" \\ back' in error


def test_recursion_traceback_is_collapsed(run: Runner) -> None:
    result = run("def down(n):\n    return down(n + 1)\ndown(0)\n")
    error = result.results[0].error or ""
    assert "RecursionError" in error
    assert "[Previous line repeated" in error
    assert error.count("\n") < 20


def test_syntax_error_points_at_the_line(run: Runner) -> None:
    result = run("x = 1\nif x == 1\n    print(x)\n")
    assert result.verdict is Verdict.COMPILATION_ERROR
    assert result.compile_error is not None
    assert 'File "<solution>", line 2' in result.compile_error
    assert "if x == 1" in result.compile_error
    assert "^" in result.compile_error


def test_sleeping_past_the_limit_is_a_time_limit_without_waiting(run: Runner) -> None:
    started = time.perf_counter()
    result = run(
        "import time\ntime.sleep(float(input()))\nprint('woke')\n",
        [TestCase(stdin="0.05", expected_output="woke"), TestCase(stdin="3600")],
        time_limit_ms=400,
    )
    assert [r.verdict for r in result.results] == [Verdict.ACCEPTED, Verdict.TIME_LIMIT_EXCEEDED]
    assert time.perf_counter() - started < 3


def test_writes_to_the_protocol_channel_are_bounded_and_harmless(run: Runner) -> None:
    code = (
        "import os\nfor _ in range(300):\n    os.write(0, b'x' * 100_000)\n"
        "os.write(0, b'B 7\\n')\nprint('still judged')\n"
    )
    result = run(code, [TestCase(stdin="", expected_output="still judged")])
    assert result.verdict is Verdict.ACCEPTED


def test_huge_error_message(run: Runner) -> None:
    result = run("raise ValueError('e' * 3_000_000)\n")
    assert result.verdict is Verdict.RUNTIME_ERROR
    error = result.results[0].error or ""
    assert error.startswith("Traceback")
    assert error.endswith("eee\n")
    assert len(error) < 70_000
