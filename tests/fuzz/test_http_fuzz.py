"""Every OpenAPI operation, fuzzed over HTTP against a real server as each role.

Schemathesis generates requests from the app's own OpenAPI document (valid ones and ones
that break the schema), path ids are often swapped for ids the demo city really has, and
every response must be either a success or a client error with the `{code, message}` body:
a 5xx, or a 4xx with any other body, fails the gate. Generation is derandomized and bounded,
so the gate asks the same questions on every run and fits in `make test`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet

from tests.fuzz.conftest import LOGINS, FuzzTarget

pytestmark = pytest.mark.e2e

# Examples per operation, role and back-end (54 operations x 3 roles x 2 back-ends);
# FUZZ_EXAMPLES=500 digs deeper by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
# The demo city's ids run from 1 to about a dozen for every table.
KNOWN_IDS = st.integers(min_value=1, max_value=12)
# Ids at and past the columns' range (a driver handed one fails with a 500): every path
# with ids gets each of them once, besides the generated requests.
EDGE_IDS = (0, -1, 2**31, 2**63 - 1, 2**63, 10**20)
# Streams never end by themselves: only their status and first bytes are read.
STREAMS = ("/events", "/stream")
REQUEST_TIMEOUT = 10
# Operations each role must get a 2xx from at least once (their reads, at the least).
MIN_SUCCEEDING = {"customer": 15, "washer": 15, "admin": 25}

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@dataclass(frozen=True)
class Failure:
    """One bad answer: enough to reproduce it by hand."""

    operation: str
    status: int
    body: str
    request: str

    def __str__(self) -> str:
        return f"{self.operation} -> {self.status} {self.body[:300]!r}\n    {self.request}"


def error_body_problem(response: requests.Response) -> str | None:
    """Why a 4xx body is not the API's `{code, message}` error, or None when it is."""
    try:
        body: Any = response.json()
    except ValueError:
        return "not JSON"
    if not isinstance(body, dict):
        return "not a JSON object"
    if not isinstance(body.get("code"), str) or not isinstance(body.get("message"), str):
        return "no string `code` and `message`"
    return None


def describe(case: Case) -> str:
    """The request's generated parts (the caller's token left out)."""
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    body = "-" if isinstance(case.body, NotSet) else case.body
    return (
        f"path={case.path_parameters} query={case.query} headers={headers} body={str(body)[:300]}"
    )


def strategy_for(operation: Any) -> st.SearchStrategy[Case]:
    """Valid and schema-breaking requests for one operation, half and half."""
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def fuzz_operation(
    operation: Any, target: FuzzTarget, role: str, failures: dict[tuple[str, int], Failure]
) -> list[int]:
    """Run the bounded examples for one operation; returns the statuses it got."""
    statuses: list[int] = []
    session = requests.Session()
    streaming = operation.path.endswith(STREAMS)

    @FUZZ_SETTINGS
    @given(case=strategy_for(operation), data=st.data())
    def run(case: Case, data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            if data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = data.draw(KNOWN_IDS, label=name)
        check(case)

    def check(case: Case) -> None:
        request = case.as_transport_kwargs(base_url=target.base_url, headers=target.headers(role))
        response = session.request(**request, timeout=REQUEST_TIMEOUT, stream=streaming)
        statuses.append(response.status_code)
        try:
            label = operation.label
            status = response.status_code
            if streaming and status == 200:
                return
            problem: str | None = None
            if status >= 500:
                problem = "server error"
            elif status >= 400:
                problem = error_body_problem(response)
            if problem is None and not streaming:
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                except Exception as exc:
                    problem = f"check failed: {exc}"
            if problem is not None:
                failures.setdefault(
                    (label, status),
                    Failure(label, status, f"{problem}: {response.text}", describe(case)),
                )
        finally:
            response.close()

    try:
        run()
        names = [parameter.name for parameter in operation.path_parameters]
        for edge in EDGE_IDS if names else ():
            check(operation.Case(path_parameters=dict.fromkeys(names, edge)))
    finally:
        session.close()
    return statuses


@pytest.mark.parametrize("role", list(LOGINS))
def test_no_operation_answers_a_server_error_or_a_malformed_error(
    target: FuzzTarget, role: str
) -> None:
    target.log_in(role)
    schema = schemathesis.openapi.from_url(f"{target.base_url}/schema/openapi.json")
    failures: dict[tuple[str, int], Failure] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses = {op.label: fuzz_operation(op, target, role, failures) for op in operations}
    assert len(operations) >= 50, "the schema lost its operations"
    # The seeded ids and the role's token let the fuzzer past the doors: many operations
    # must have succeeded at least once, or it only ever knocked.
    succeeded = [label for label, got in statuses.items() if any(s < 300 for s in got)]
    assert len(succeeded) >= MIN_SUCCEEDING[role], sorted(succeeded)
    assert not failures, (
        f"{len(failures)} bad answers on {target.backend} as {role}:\n"
        + "\n".join(str(failure) for failure in failures.values())
        + f"\nserver log: {target.server.log_path}"
    )
