"""Property-based fuzzing of every app's OpenAPI with a valid token: no 5xx, and every
response that the schema documents conforms to it. Bounded examples per operation.

(The operations are driven with Hypothesis directly: schemathesis' own pytest plugin does not
work with pytest 9 yet.)"""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.fuzz.conftest import _schema

EXAMPLES = int(os.environ.get("BANSO_FUZZ_EXAMPLES", "12"))  # more for a deeper local run
CHECKS = [not_a_server_error, response_schema_conformance]


# Operations that could take the fuzzer's own access away (revoke its token, deactivate or
# demote its admin) run last, so that they cannot blind the others.
LAST = ("/admin/tokens/{token_id}/revoke", "/admin/users/{user_id}")


def _order(operation) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    return (operation.path.endswith(LAST) and operation.method.upper() != "GET", operation.path)


@pytest.mark.parametrize("app", ["indicators", "support_cases", "training", "gateway"])
def test_openapi(app: str, fuzz_system, fuzz_headers, gateway_headers) -> None:  # type: ignore[no-untyped-def]
    schema = _schema(fuzz_system, app)
    headers = gateway_headers if app == "gateway" else fuzz_headers
    failures: list[str] = []
    operations = 0
    statuses: dict[int, int] = {}
    for operation in sorted((r.ok() for r in schema.get_all_operations()), key=_order):
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert operations > 0
    assert not failures, "\n\n".join(failures)
    # The token was accepted: the operations were fuzzed for real, not refused at the door.
    assert sum(n for code, n in statuses.items() if code != 401) > sum(statuses.values()) * 0.9, (
        statuses
    )
