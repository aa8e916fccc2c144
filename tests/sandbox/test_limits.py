from __future__ import annotations

import pytest

from sandbox import (
    Clamped,
    Comparison,
    ExecutionRequest,
    InvalidRequest,
    Maxima,
    TestCase,
    clamp_request,
    format_bytes,
    outputs_match,
    parse_memory_limit,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("128MB", 128 * 1024**2),
        ("64 KiB", 64 * 1024),
        ("1.5GB", int(1.5 * 1024**3)),
        ("1048576", 1048576),
        ("512k", 512 * 1024),
        (4096, 4096),
    ],
)
def test_parse_memory_limit(text: str | int, expected: int) -> None:
    assert parse_memory_limit(text) == expected


@pytest.mark.parametrize("bad", ["", "12 parsecs", "-5MB", "0", "MB", 0, True])
def test_parse_memory_limit_rejects(bad: str | int) -> None:
    with pytest.raises(InvalidRequest):
        parse_memory_limit(bad)


def test_format_bytes() -> None:
    assert format_bytes(512) == "512B"
    assert format_bytes(int(2.1 * 1024**2)) == "2.1MB"


def test_request_accepts_spec_memory_string() -> None:
    request = ExecutionRequest(language="Python", code="pass", memory_limit_bytes="128MB")
    assert request.memory_limit_bytes == 128 * 1024**2
    assert request.language == "python"


def test_request_rejects_empty_code() -> None:
    with pytest.raises(ValueError, match="code is empty"):
        ExecutionRequest(language="python", code="  \n")


def test_clamp_request_reports_what_it_lowered() -> None:
    request = ExecutionRequest(
        language="python",
        code="pass",
        time_limit_ms=60_000,
        memory_limit_bytes=2 * 1024**3,
        test_cases=[TestCase(input="1", timeout_ms=99_000), TestCase(input="2", timeout_ms=10)],
    )
    clamped, changes = clamp_request(request, Maxima(time_limit_ms=5_000, test_timeout_ms=2_000))
    assert clamped.time_limit_ms == 5_000
    assert clamped.memory_limit_bytes == Maxima().memory_limit_bytes
    assert clamped.test_cases[0].timeout_ms == 2_000
    assert clamped.test_cases[1].timeout_ms == 10
    assert Clamped("time_limit_ms", 60_000, 5_000) in changes
    assert Clamped("test_cases[0].timeout_ms", 99_000, 2_000) in changes
    assert {c.field for c in changes} == {
        "time_limit_ms",
        "memory_limit_bytes",
        "test_cases[0].timeout_ms",
    }


def test_clamp_request_refuses_too_many_tests() -> None:
    request = ExecutionRequest(language="python", code="pass", test_cases=[TestCase(input="1")] * 3)
    with pytest.raises(InvalidRequest):
        clamp_request(request, Maxima(test_cases=2))


@pytest.mark.parametrize(
    ("actual", "expected", "mode", "match"),
    [
        ("55\n", "55", Comparison.TRIMMED, True),
        ("a  \r\nb\n\n\n", "\na\nb", Comparison.TRIMMED, True),
        ("a b", "a  b", Comparison.TRIMMED, False),
        ("55\n", "55", Comparison.EXACT, False),
        ("55", "55", Comparison.EXACT, True),
        ("3.1415927 2\n", "3.14159265 2", Comparison.FLOAT, True),
        ("3.15", "3.14159265", Comparison.FLOAT, False),
        ("x 1.0", "y 1.0", Comparison.FLOAT, False),
        ("1 2", "1 2 3", Comparison.FLOAT, False),
        ("nan", "nan", Comparison.FLOAT, True),
    ],
)
def test_outputs_match(actual: str, expected: str, mode: Comparison, match: bool) -> None:
    assert outputs_match(actual, expected, mode, tolerance=1e-6) is match
