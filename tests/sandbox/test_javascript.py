"""Every verdict with real JavaScript programs in the real QuickJS-ng-on-WASI runtime."""

from __future__ import annotations

import pytest

from sandbox import Comparison, Engine, TestCase, TestStatus, Verdict

from .conftest import Runner

# The spec's example request.
FIB = (
    "function fibonacci(n) {\n  if (n <= 1) return n;\n  return fibonacci(n-1) + fibonacci(n-2);\n}"
    "\n\nconsole.log(fibonacci(10));"
)


@pytest.fixture(scope="module")
def run(engine: Engine) -> Runner:
    return Runner(engine, "javascript")


def test_spec_example(run: Runner) -> None:
    result = run(
        FIB,
        [
            TestCase(input="fibonacci(0)", expected_output="0", timeout_ms=1000),
            TestCase(input="fibonacci(10)", expected_output="55", timeout_ms=1000),
        ],
        time_limit_ms=5000,
        memory_limit_bytes=128 * 1024**2,
    )
    assert [r.status for r in result.results] == [TestStatus.PASSED, TestStatus.PASSED]
    assert result.overall_status is TestStatus.PASSED
    assert result.setup_output == "55\n"
    assert result.results[1].output == "55\n"
    assert result.instances == 1
    assert result.analysis is not None and result.analysis.complexity == "O(2^n)"


def test_expression_values_are_printed_like_json(run: Runner) -> None:
    code = (
        "const pairs = (n) => Array.from({length: n}, (_, i) => [i, i * i]);\n"
        "async function later() { return 'done'; }"
    )
    result = run(
        code,
        [
            TestCase(input="pairs(3)", expected_output="[[0,0],[1,1],[2,4]]"),
            TestCase(input="({a: 1, b: 'x'})", expected_output='{"a":1,"b":"x"}'),
            TestCase(input="'plain'", expected_output="plain"),
            TestCase(input="undefined", expected_output=""),
            TestCase(input="null", expected_output="null"),
            TestCase(input="2n ** 70n", expected_output="1180591620717411303424"),
            TestCase(input="later()", expected_output="done"),
            TestCase(input="console.log('a', 1, [2]); undefined", expected_output="a 1 [2]"),
        ],
    )
    assert [r.verdict for r in result.results] == [Verdict.ACCEPTED] * 8, result.results


def test_stdin_program(run: Runner) -> None:
    code = (
        "const [a, b] = readline().split(' ').map(Number);\n"
        "const rest = readAll().split(/\\s+/).filter(Boolean);\n"
        "console.log(a + b, rest.length);"
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


def test_node_style_stdin_and_stdout(run: Runner) -> None:
    code = (
        "const text = require('fs').readFileSync(0, 'utf8');\n"
        "process.stdout.write(text.trim().split('\\n"
        "').reverse().join(','));"
    )
    result = run(
        code, [TestCase(stdin="a\nb\nc\n", expected_output="c,b,a", comparison=Comparison.EXACT)]
    )
    assert result.verdict is Verdict.ACCEPTED


def test_stdin_tests_start_from_a_fresh_scope(run: Runner) -> None:
    result = run(
        "let seen = 0;\nseen += 1;\nconsole.log(seen);",
        [TestCase(stdin="", expected_output="1")] * 3,
    )
    assert result.verdict is Verdict.ACCEPTED


def test_float_comparison(run: Runner) -> None:
    result = run(
        "console.log(Math.PI)",
        [
            TestCase(stdin="", expected_output="3.14159265", comparison=Comparison.FLOAT),
            TestCase(stdin="", expected_output="3.14", comparison=Comparison.FLOAT),
        ],
    )
    assert [r.verdict for r in result.results] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]


def test_syntax_error_is_a_compilation_error(run: Runner) -> None:
    result = run("function f( {\n", [TestCase(input="f()", expected_output="1")])
    assert result.verdict is Verdict.COMPILATION_ERROR
    assert result.compile_error is not None and "SyntaxError" in result.compile_error
    assert result.results[0].verdict is Verdict.COMPILATION_ERROR


def test_runtime_error_has_a_message_and_location(run: Runner) -> None:
    code = "function get(o) {\n  return o.x;\n}"
    result = run(
        code,
        [
            TestCase(input="get(null)", expected_output="1"),
            TestCase(input="get({x: 2})", expected_output="2"),
        ],
    )
    first, second = result.results
    assert first.verdict is Verdict.RUNTIME_ERROR
    assert "TypeError" in (first.error or "")
    assert second.verdict is Verdict.ACCEPTED
    stdin_error = run("const a = 1;\nnull.boom;\n")
    assert "<solution>:2" in (stdin_error.results[0].error or "")


def test_exit_codes(run: Runner) -> None:
    result = run("process.exit(Number(readline()))", [TestCase(stdin="0"), TestCase(stdin="3")])
    assert [r.verdict for r in result.results] == [Verdict.ACCEPTED, Verdict.RUNTIME_ERROR]
    assert result.results[1].error == "exit code 3"


def test_infinite_loop_is_a_time_limit_and_other_tests_survive(run: Runner) -> None:
    code = "function f(n) { while (n === 2) {} return n; }"
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
    assert 290 <= result.results[1].execution_time_ms < 1000
    assert result.instances == 2


def test_memory_bomb(run: Runner) -> None:
    code = "const a = [];\nwhile (true) a.push(new Array(100000).fill(a.length));"
    result = run(code, [TestCase(stdin="")], memory_limit_bytes=32 * 1024**2)
    assert result.verdict is Verdict.MEMORY_LIMIT_EXCEEDED


def test_deep_recursion_is_a_runtime_error_and_others_survive(run: Runner) -> None:
    code = "function down(n) { return down(n + 1) + 1; }"
    result = run(code, [TestCase(input="down(0)"), TestCase(input="40 + 2", expected_output="42")])
    assert result.results[0].verdict is Verdict.RUNTIME_ERROR
    assert "recursion" in (result.results[0].error or "")
    assert result.results[1].verdict is Verdict.ACCEPTED


def test_output_flood_is_truncated(run: Runner) -> None:
    result = run(
        "while (true) console.log('flood'.repeat(100));",
        [TestCase(stdin="")],
        output_limit_bytes=10_000,
    )
    only = result.results[0]
    assert only.verdict is Verdict.OUTPUT_LIMIT_EXCEEDED
    assert only.output_truncated
    assert len(only.output.encode()) <= 10_000


def test_very_long_single_line(run: Runner) -> None:
    result = run(
        "console.log('y'.repeat(500000))",
        [TestCase(stdin="", expected_output="y" * 500_000)],
        output_limit_bytes=1_000_000,
    )
    assert result.verdict is Verdict.ACCEPTED


def test_invalid_utf8_output_is_replaced(run: Runner) -> None:
    result = run("std.out.write(new Uint8Array([0xff, 0x41]).buffer, 0, 2)")
    assert result.results[0].output == "\ufffdA"


def test_no_host_files(run: Runner) -> None:
    result = run(
        (
            "const f = std.open('/etc/passwd', 'r');\n"
            "console.log(f === null ? 'blocked' : f.readAsString());\n"
            "console.log(JSON.stringify(os.readdir('/')));"
        ),
        [TestCase(stdin="", expected_output="blocked\n[[],44]")],
    )
    assert result.verdict is Verdict.ACCEPTED


def test_no_network_modules_and_no_processes(run: Runner) -> None:
    net = run("require('net').connect(80, '127.0.0.1')")
    assert net.verdict is Verdict.RUNTIME_ERROR
    assert "Cannot find module 'net'" in (net.results[0].error or "")
    fetch = run("fetch('http://127.0.0.1/')")
    assert fetch.verdict is Verdict.RUNTIME_ERROR
    spawn = run("os.exec(['/bin/ls', '/'])")
    assert spawn.verdict is Verdict.RUNTIME_ERROR


def test_submissions_do_not_share_an_instance(run: Runner) -> None:
    assert run("globalThis.leak = 'secret'").verdict is Verdict.ACCEPTED
    second = run(
        "console.log(typeof globalThis.leak)", [TestCase(stdin="", expected_output="undefined")]
    )
    assert second.verdict is Verdict.ACCEPTED
