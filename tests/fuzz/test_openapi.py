"""Property-based fuzzing of every app's OpenAPI with a valid token: no 5xx, and every
response that the schema documents conforms to it. Bounded examples per operation.

(The operations are driven with Hypothesis directly: schemathesis' own pytest plugin does not
work with pytest 9 yet.)"""

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.fuzz.conftest import _schema

EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.mark.parametrize("app", ["indicators", "support_cases", "training", "gateway"])
def test_openapi(app: str, fuzz_system, fuzz_headers) -> None:  # type: ignore[no-untyped-def]
    schema = _schema(fuzz_system, app)
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
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
            case.call_and_validate(headers=fuzz_headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:800]}")
    assert operations > 0
    assert not failures, "\n\n".join(failures)
