"""The SDK's resources, one per section of the spec: `client.assessments.create(...)` and so on.

Each method names its spec endpoint; keyword arguments are snake_case and are sent camelCase.
Free-form values (`settings`, `data`, `answer`) are sent as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sync.wire import Data, Page, Tokens
from sync.wire import camel_params as _camel

if TYPE_CHECKING:
    from sync.client import EllaAI


class Resource:
    def __init__(self, client: EllaAI) -> None:
        self._client = client

    def _get(self, path: str, **params: Any) -> Data:
        return cast(Data, self._client.request("GET", path, params=_camel(params)))

    def _list(self, path: str, **filters: Any) -> Page:
        return cast(Page, self._client.request("GET", path, params=_camel(filters)))

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Data:
        return cast(Data, self._client.request(method, path, json=body if body is not None else {}))

    def _post(self, path: str, body: dict[str, Any] | None = None) -> Data:
        return self._send("POST", path, body)


class Auth(Resource):
    """`/auth`: sign in (password, OIDC ID token or invitation), refresh, verify, me, logout."""

    def login(
        self,
        *,
        email: str | None = None,
        password: str | None = None,
        id_token: str | None = None,
        invite_token: str | None = None,
    ) -> Tokens:
        body = _camel(
            {
                "email": email,
                "password": password,
                "id_token": id_token,
                "invite_token": invite_token,
            }
        )
        data = self._client.request("POST", "/auth/login", json=body, authenticated=False)
        return self._client.use_tokens(cast(Data, data))

    def verify(self) -> Data:
        return self._get("/auth/verify")

    def me(self) -> Data:
        return self._get("/auth/me")

    def logout(self) -> None:
        tokens = self._client.tokens
        body = {"refreshToken": tokens.refresh} if tokens and tokens.refresh else {}
        self._post("/auth/logout", body)


class Assessments(Resource):
    """`/assessments`: create, list, get, update, archive, results, and taking one."""

    def create(self, **fields: Any) -> Data:
        return self._post("/assessments", _camel(fields))

    def list(self, **filters: Any) -> Page:
        return self._list("/assessments", **filters)

    def get(self, assessment_id: str) -> Data:
        return self._get(f"/assessments/{assessment_id}")

    def update(self, assessment_id: str, **fields: Any) -> Data:
        return self._send("PUT", f"/assessments/{assessment_id}", _camel(fields))

    def archive(self, assessment_id: str) -> None:
        self._client.request("DELETE", f"/assessments/{assessment_id}")

    def get_results(self, assessment_id: str) -> Data:
        return self._get(f"/assessments/{assessment_id}/results")

    def start(self, assessment_id: str, *, candidate_id: str | None = None) -> Data:
        body = _camel({"candidate_id": candidate_id})
        return self._post(f"/assessments/{assessment_id}/start", body)

    def submit_answer(
        self,
        assessment_id: str,
        *,
        attempt_id: str,
        question_id: str,
        answer: Any,
        time_spent: int | None = None,
        language: str | None = None,
    ) -> Data:
        body = _camel(
            {
                "attempt_id": attempt_id,
                "question_id": question_id,
                "time_spent": time_spent,
                "language": language,
            }
        )
        body["answer"] = answer
        return self._post(f"/assessments/{assessment_id}/submit-answer", body)

    def get_attempt(self, attempt_id: str) -> Data:
        """An attempt as the server sees it: status, `timeRemaining`, questions, answers."""
        return self._get(f"/attempts/{attempt_id}")

    def get_attempt_result(self, attempt_id: str) -> Data:
        return self._get(f"/attempts/{attempt_id}/result")

    def complete(self, assessment_id: str, *, attempt_id: str) -> Data:
        return self._post(f"/assessments/{assessment_id}/complete", {"attemptId": attempt_id})


class Questions(Resource):
    """`/questions`: the question bank (a change makes a new version)."""

    def create(self, **fields: Any) -> Data:
        return self._post("/questions", _camel(fields))

    def list(self, **filters: Any) -> Page:
        return self._list("/questions", **filters)

    def get(self, question_id: str) -> Data:
        return self._get(f"/questions/{question_id}")

    def update(self, question_id: str, **fields: Any) -> Data:
        return self._send("PUT", f"/questions/{question_id}", _camel(fields))

    def delete(self, question_id: str) -> None:
        self._client.request("DELETE", f"/questions/{question_id}")


class Candidates(Resource):
    """`/candidates`: create, list, get, update status, invite to an assessment."""

    def create(self, **fields: Any) -> Data:
        return self._post("/candidates", _camel(fields))

    def list(self, **filters: Any) -> Page:
        return self._list("/candidates", **filters)

    def get(self, candidate_id: str) -> Data:
        return self._get(f"/candidates/{candidate_id}")

    def update(self, candidate_id: str, **fields: Any) -> Data:
        return self._send("PATCH", f"/candidates/{candidate_id}", _camel(fields))

    def invite(self, candidate_id: str, **fields: Any) -> Data:
        return self._post(f"/candidates/{candidate_id}/invite", _camel(fields))


class Execution(Resource):
    """`/execution`: run code in the server's sandbox, read a run again, grade an answer.

    Test cases are dicts in either spelling (`expected_output` or `expectedOutput`)."""

    def languages(self) -> list[Data]:
        return cast(list[Data], self._client.request("GET", "/execution/languages"))

    def run(
        self,
        *,
        language: str,
        code: str,
        test_cases: Sequence[Mapping[str, Any]] | None = None,
        time_limit: int | None = None,
        memory_limit: str | int | None = None,
    ) -> Data:
        """Limits above the server's maxima are lowered; the result's `clamped` says which."""
        body = _camel(
            {
                "language": language,
                "code": code,
                "test_cases": [_camel(t) for t in test_cases] if test_cases is not None else None,
                "time_limit": time_limit,
                "memory_limit": memory_limit,
            }
        )
        return self._post("/execution/run", body)

    def get(self, execution_id: str) -> Data:
        return self._get(f"/execution/{execution_id}")

    def submit(self, *, attempt_id: str, question_id: str, language: str, code: str) -> Data:
        """Grade `code` as the attempt's answer to a coding question (the candidate only)."""
        body = _camel({"attempt_id": attempt_id, "question_id": question_id, "language": language})
        body["code"] = code
        return self._post("/execution/submit", body)


class Companies(Resource):
    """`/companies`: create (administrators), list, get, update settings, members, API key."""

    def create(self, **fields: Any) -> Data:
        return self._post("/companies", _camel(fields))

    def list(self, **filters: Any) -> Page:
        return self._list("/companies", **filters)

    def get(self, company_id: str) -> Data:
        return self._get(f"/companies/{company_id}")

    def update(self, company_id: str, **fields: Any) -> Data:
        return self._send("PATCH", f"/companies/{company_id}", _camel(fields))

    def add_member(self, company_id: str, **fields: Any) -> Data:
        return self._post(f"/companies/{company_id}/members", _camel(fields))

    def rotate_api_key(self, company_id: str) -> Data:
        return self._post(f"/companies/{company_id}/api-key/rotate")


class Admin(Resource):
    """`/admin`: stats, audit log, users, system configuration (administrators)."""

    def stats(self) -> Data:
        return self._get("/admin/stats")

    def audit(self, **filters: Any) -> Page:
        return self._list("/admin/audit", **filters)

    def users(self, **filters: Any) -> Page:
        return self._list("/admin/users", **filters)

    def set_role(self, user_id: str, **fields: Any) -> Data:
        return self._send("PUT", f"/admin/users/{user_id}/role", _camel(fields))

    def suspend(self, user_id: str, **fields: Any) -> Data:
        return self._post(f"/admin/users/{user_id}/suspend", _camel(fields))

    def reinstate(self, user_id: str) -> Data:
        return self._post(f"/admin/users/{user_id}/reinstate")

    def config(self) -> Data:
        return self._get("/admin/config")

    def update_config(self, **fields: Any) -> Data:
        return self._send("PUT", "/admin/config", _camel(fields))


class Proctor(Resource):
    """`/proctor/sessions`: open, read, report events, end, list by risk, review, snapshots."""

    def create_session(
        self,
        *,
        assessment_id: str,
        candidate_id: str,
        attempt_id: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Data:
        body = _camel(
            {
                "assessment_id": assessment_id,
                "candidate_id": candidate_id,
                "attempt_id": attempt_id,
                "settings": _camel(settings) if settings else None,
            }
        )
        return self._post("/proctor/sessions", body)

    def get_session(self, session_id: str) -> Data:
        return self._get(f"/proctor/sessions/{session_id}")

    def list_sessions(self, **filters: Any) -> Page:
        return self._list("/proctor/sessions", **filters)

    def report_event(
        self,
        session_id: str,
        *,
        type: str,
        severity: str = "medium",
        data: dict[str, Any] | None = None,
    ) -> Data:
        body = {"type": type, "severity": severity, "data": data or {}}
        return self._post(f"/proctor/sessions/{session_id}/events", body)

    def end_session(
        self,
        session_id: str,
        *,
        reason: str = "assessment_completed",
        final_report: bool = True,
        last_event_seq: int | None = None,
    ) -> Data:
        body = _camel(
            {"reason": reason, "final_report": final_report, "last_event_seq": last_event_seq}
        )
        return self._post(f"/proctor/sessions/{session_id}/end", body)

    def review(self, session_id: str, *, verdict: str, note: str | None = None) -> Data:
        body = _camel({"verdict": verdict, "note": note})
        return self._post(f"/proctor/sessions/{session_id}/review", body)

    def snapshot(self, snapshot_url: str) -> bytes:
        """The image behind an event's `snapshotUrl` (proctors only)."""
        path = snapshot_url.split("/proctor/", 1)[1]
        return self._client.request_bytes("GET", f"/proctor/{path}")


class Sync(Resource):
    """`/sync`: the sync engine's push, and what the server acknowledged from a device."""

    def push(self, body: bytes) -> Data:
        """`body` is a serialized `server.schemas.sync.PushRequest`."""
        return cast(Data, self._client.request("POST", "/sync/push", content=body))

    def device(self, device_id: str) -> Data:
        return self._get(f"/sync/devices/{device_id}")
