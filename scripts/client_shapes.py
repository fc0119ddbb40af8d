"""Write the gateway's answer shapes from the services' OpenAPI documents.

``python -m scripts.client_shapes`` (re)writes ``gateway/clients/shapes/<service>.py``: one
``TypedDict`` per schema component of the service, and ``RESPONSES``, the JSON answer of every
operation (``"GET /api/v1/frameworks/{framework_id}"`` → its shape). The gateway's clients
annotate what they return with these shapes, so a reader sees what a service answers without
opening the service, and ``tests/gateway/test_client_shapes.py`` checks that the files are
current and that every client method declares the shape of the operation it calls.

``--check`` writes nothing and exits 1 when a file is out of date (the test runs it).

TypedDicts and not models: the gateway passes service answers to views and templates as they
come (no second validation on every request); the shapes are the contract, checked in tests.
"""

from __future__ import annotations

import argparse
import importlib
import keyword
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "gateway" / "clients" / "shapes"
SERVICES = ("indicators", "support_cases", "training")
PRIMITIVES = {
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "string": "str",
    "null": "None",
}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """The Python annotation (as source) for a JSON schema of pydantic's OpenAPI output."""
    if not schema:
        return "Any"
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    if "const" in schema:
        return f"Literal[{schema['const']!r}]"
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts: list[str] = []
            for s in schema[key]:
                t = type_of(s)
                if t not in parts:
                    parts.append(t)
            if "Any" in parts:
                return "Any"
            return " | ".join(parts)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0])
    kind = schema.get("type")
    if kind == "array":
        return f"list[{type_of(schema.get('items') or {})}]"
    if kind == "object" or "properties" in schema or "additionalProperties" in schema:
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"dict[str, {type_of(extra)}]"
        return "dict[str, Any]"
    if isinstance(kind, str) and kind in PRIMITIVES:
        return PRIMITIVES[kind]
    return "Any"


def _class(name: str, schema: dict[str, Any]) -> str:
    props: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    lines = [f"class {name}(TypedDict):"]
    doc = (schema.get("description") or "").strip()
    if doc:
        lines += [f"    {doc.splitlines()[0]!r}", ""]
    if not props:
        lines.append("    pass")
        return "\n".join(lines)
    for key, s in props.items():
        if not key.isidentifier() or keyword.iskeyword(key):
            raise SystemExit(
                f"{name}.{key}: not a Python identifier (write a functional TypedDict)"
            )
        t = type_of(s)
        lines.append(f"    {key}: {t if key in required else f'NotRequired[{t}]'}")
    return "\n".join(lines)


def _alias(name: str, schema: dict[str, Any]) -> str:
    return f"{name} = {type_of(schema)}"


def operations(doc: dict[str, Any]) -> dict[str, str]:
    """``"METHOD /path"`` → the annotation of its JSON answer (2xx), for every JSON operation."""
    out: dict[str, str] = {}
    for path, ops in sorted(doc["paths"].items()):
        for method, op in sorted(ops.items()):
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for status in ("200", "201", "202"):
                content = op.get("responses", {}).get(status, {}).get("content") or {}
                schema = (content.get("application/json") or {}).get("schema")
                if schema is not None:
                    out[f"{method.upper()} {path}"] = type_of(schema)
                    break
    return out


def request_bodies(doc: dict[str, Any]) -> dict[str, str]:
    """``"METHOD /path"`` → the annotation of its JSON request body, where it takes one."""
    out: dict[str, str] = {}
    for path, ops in sorted(doc["paths"].items()):
        for method, op in sorted(ops.items()):
            content = (op.get("requestBody") or {}).get("content") or {}
            schema = (content.get("application/json") or {}).get("schema")
            if schema is not None:
                out[f"{method.upper()} {path}"] = type_of(schema)
    return out


def render(service: str) -> str:
    app = importlib.import_module(f"services.{service}.main").app
    doc = app.openapi()
    comps: dict[str, Any] = doc.get("components", {}).get("schemas", {})
    blocks = []
    for name in sorted(comps):
        s = comps[name]
        if s.get("type") == "object" and "properties" in s and not s.get("additionalProperties"):
            blocks.append(_class(name, s))
        else:
            blocks.append(_alias(name, s))
    ops = operations(doc)
    body = "\n\n\n".join(blocks)
    responses = "\n".join(f"    {k!r}: {v!r}," for k, v in ops.items())
    requests = "\n".join(f"    {k!r}: {v!r}," for k, v in request_bodies(doc).items())
    return (
        f'"""The {service} service\'s answers as the gateway reads them: generated from its\n'
        'OpenAPI document by ``python -m scripts.client_shapes``; do not edit by hand."""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import Any, Literal, NotRequired\n\n"
        "from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12\n\n\n"
        f"{body}\n\n\n"
        "# Each JSON operation's answer (2xx), as the annotation a client method declares.\n"
        "RESPONSES: dict[str, str] = {\n"
        f"{responses}\n"
        "}\n\n"
        "# Each operation's JSON request body, as the annotation a client method's body takes.\n"
        "REQUESTS: dict[str, str] = {\n"
        f"{requests}\n"
        "}\n"
    )


def formatted(path: Path, text: str) -> str:
    """``text`` as ``ruff format`` leaves it (the repository's formatting rules)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(path), "-"],
        input=text, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return done.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    init = OUT / "__init__.py"
    init_text = '"""Generated answer shapes of the services (scripts/client_shapes.py)."""\n'
    files = {init: init_text} | {
        OUT / f"{s}.py": formatted(OUT / f"{s}.py", render(s)) for s in SERVICES
    }
    for path, text in files.items():
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("out of date (run python -m scripts.client_shapes):", *stale, sep="\n  ")
        return 1
    for p in stale:
        print("wrote", p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
