"""The kernel's ``Problem`` component (RFC 9457 problem+json) is only what error answers refer
to: a model of a service that is also named ``Problem`` would be replaced by it in the OpenAPI
document, and a 2xx answer holding such a model would break its own documented schema (found by
the fuzzing: the published-results import's ``problems`` list, rows with ``loc`` and ``msg``)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

APPS = {
    "indicators": "services.indicators.main",
    "support_cases": "services.support_cases.main",
    "training": "services.training.main",
    "gateway": "gateway.main",
}


def _refs(node: Any) -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            out.add(node["$ref"].rsplit("/", 1)[-1])
        for value in node.values():
            out |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            out |= _refs(value)
    return out


def _reachable(name: str, components: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    for ref in _refs(components.get(name, {})):
        _reachable(ref, components, seen)
    return seen


@pytest.mark.parametrize("app_name", list(APPS))
def test_problem_only_in_error_answers(app_name: str) -> None:
    module = importlib.import_module(APPS[app_name])
    app = getattr(module, "app", None) or module.create_app()
    doc = app.openapi()
    components = doc.get("components", {}).get("schemas", {})
    wrong = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for status, response in op.get("responses", {}).items():
                if status.startswith(("4", "5")):
                    continue
                names: set[str] = set()
                for ref in _refs(response):
                    names |= _reachable(ref, components)
                if "Problem" in names:
                    wrong.append(f"{method.upper()} {path} {status}")
    assert not wrong, "success answers that refer to the problem+json schema:\n" + "\n".join(wrong)
