"""The Code Execution API over HTTP, with the spec's bodies and the real WebAssembly sandbox."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.server.conftest import Factory

SPEC_RUN = {
    "language": "javascript",
    "code": "function fibonacci(n) {\n  if (n <= 1) return n;\n  return fibonacci(n-1) + "
    "fibonacci(n-2);\n}\n\nconsole.log(fibonacci(10));",
    "testCases": [
        {"input": "fibonacci(0)", "expectedOutput": "0", "timeout": 1000},
        {"input": "fibonacci(10)", "expectedOutput": "55", "timeout": 1000},
    ],
    "timeLimit": 5000,
    "memoryLimit": "128MB",
}


def test_the_spec_example_runs_and_can_be_read_back(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    response = client.post("/api/execution/run", headers=company.manager.headers, json=SPEC_RUN)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["executionId"].startswith("exec_")
    assert data["overallStatus"] == "passed"
    assert [(r["testCase"], r["status"], r["output"]) for r in data["results"]] == [
        (1, "passed", "0"),
        (2, "passed", "55"),
    ]
    assert data["results"][0]["memoryUsed"][-2:] in ("KB", "MB")
    assert data["totalExecutionTime"] >= 0
    analysis = data["codeAnalysis"]
    assert analysis["complexity"] == "O(2^n)"
    assert any("memoiz" in s.lower() for s in analysis["suggestions"])
    assert 0 <= analysis["qualityScore"] <= 10
    again = client.get(f"/api/execution/{data['executionId']}", headers=company.manager.headers)
    assert again.status_code == 200
    assert again.json()["data"] == data
    via_key = client.get(
        f"/v1/execution/{data['executionId']}", headers={"X-API-Key": company.api_key}
    )
    assert via_key.status_code == 200
    stranger = factory.company("Other")
    hidden = client.get(f"/api/execution/{data['executionId']}", headers=stranger.manager.headers)
    assert hidden.status_code == 404


def test_verdicts_come_back_per_test(client: TestClient, factory: Factory) -> None:
    company = factory.company()
    body = {
        "language": "python",
        "code": "import sys\ndef double(x):\n    if x == 3:\n        raise ValueError('three')\n"
        "    return x * 2 if x != 2 else 5\n",
        "testCases": [
            {"input": "double(1)", "expectedOutput": "2"},
            {"input": "double(2)", "expectedOutput": "4"},
            {"input": "double(3)", "expectedOutput": "6"},
            {"stdin": "ignored", "input": None, "expectedOutput": ""},
        ],
    }
    data = client.post("/api/execution/run", headers=company.manager.headers, json=body).json()
    verdicts = [r["verdict"] for r in data["data"]["results"]]
    assert verdicts == ["accepted", "wrong_answer", "runtime_error", "accepted"]
    assert "ValueError" in data["data"]["results"][2]["error"]
    assert data["data"]["overallStatus"] == "failed"


def test_an_infinite_loop_is_a_time_limit_and_limits_are_clamped(
    client: TestClient, factory: Factory
) -> None:
    company = factory.company()
    body = {
        "language": "python",
        "code": "print('hi')\n",
        "testCases": [{"stdin": "", "expectedOutput": "hi", "timeout": 60_000}],
        "timeLimit": 300,
        "memoryLimit": "4GB",
    }
    response = client.post("/api/execution/run", headers=company.manager.headers, json=body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    clamped = {c["field"]: c["applied"] for c in data["clamped"]}
    assert clamped == {"testCases[0].timeout": 10_000, "memoryLimit": 256 * 1024 * 1024}
    assert data["overallStatus"] == "passed"
    quick = {**body, "code": "while True:\n    pass\n", "testCases": [{"stdin": ""}]}
    timed_out = client.post("/api/execution/run", headers=company.manager.headers, json=quick)
    assert timed_out.json()["data"]["results"][0]["verdict"] == "time_limit_exceeded"


def test_limits_above_the_maxima_are_clamped_however_large(
    client: TestClient, factory: Factory
) -> None:
    headers = factory.company().manager.headers
    body = {
        "language": "python",
        "code": "print('hi')\n",
        "testCases": [{"stdin": "", "expectedOutput": "hi", "timeout": 10**12}],
        "timeLimit": 600_001,
        "memoryLimit": 10**15,
    }
    data = client.post("/api/execution/run", headers=headers, json=body).json()["data"]
    assert data["overallStatus"] == "passed"
    assert {c["field"]: (c["requested"], c["applied"]) for c in data["clamped"]} == {
        "timeLimit": (600_001, 10_000),
        "testCases[0].timeout": (10**12, 10_000),
        "memoryLimit": (10**15, 256 * 1024 * 1024),
    }
    huge = {**body, "timeLimit": 10**30, "memoryLimit": "1000000GB"}
    data = client.post("/api/execution/run", headers=headers, json=huge).json()["data"]
    assert {c["field"]: c["applied"] for c in data["clamped"]}["timeLimit"] == 10_000


def test_bad_requests_are_validation_errors(client: TestClient, factory: Factory) -> None:
    headers = factory.company().manager.headers
    cases = {
        "unknown language": {**SPEC_RUN, "language": "cobol"},
        "empty code": {**SPEC_RUN, "code": "   "},
        "oversized code": {**SPEC_RUN, "code": "x" * (256 * 1024 + 1)},
        "malformed test": {**SPEC_RUN, "testCases": [{"input": 5}]},
        "both forms": {**SPEC_RUN, "testCases": [{"input": "f()", "stdin": "1"}]},
        "bad memory": {**SPEC_RUN, "memoryLimit": "lots"},
        "negative time": {**SPEC_RUN, "timeLimit": -1},
        "zero time": {**SPEC_RUN, "timeLimit": 0},
        "fractional time": {**SPEC_RUN, "timeLimit": 1.5},
        "text time": {**SPEC_RUN, "timeLimit": "soon"},
        "zero test timeout": {**SPEC_RUN, "testCases": [{"input": "1", "timeout": 0}]},
        "zero memory": {**SPEC_RUN, "memoryLimit": 0},
        "negative memory": {**SPEC_RUN, "memoryLimit": "-5MB"},
        "true time": {**SPEC_RUN, "timeLimit": True},
        "true memory": {**SPEC_RUN, "memoryLimit": True},
        "endless memory": {**SPEC_RUN, "memoryLimit": "9" * 400 + "GB"},
        "NUL in code": {**SPEC_RUN, "code": "console.log(1)\x00"},
        "missing code": {"language": "python"},
    }
    for name, body in cases.items():
        response = client.post("/api/execution/run", headers=headers, json=body)
        assert response.status_code == 422, (name, response.text)
        assert response.json()["error"]["code"] == "VALIDATION_ERROR", name
    unknown = client.post("/api/execution/run", headers=headers, json=cases["unknown language"])
    assert unknown.json()["error"]["details"]["field"] == "language"
    nul = client.post("/api/execution/run", headers=headers, json=cases["NUL in code"])
    assert "NUL characters" in nul.json()["error"]["message"]
    assert nul.json()["error"]["details"]["field"] == "code"


def test_languages_are_listed_with_versions(client: TestClient, factory: Factory) -> None:
    response = client.get("/api/execution/languages", headers=factory.company().manager.headers)
    languages = {lang["id"]: lang for lang in response.json()["data"]}
    assert {"python", "javascript"} <= set(languages)
    assert languages["python"]["version"].startswith("3.")
    assert languages["javascript"]["installed"] is True


def test_running_code_needs_a_caller(client: TestClient) -> None:
    assert client.post("/api/execution/run", json=SPEC_RUN).status_code == 401
