"""Which service operation each gateway client method calls, read from the client's source
(the path literal and the HTTP method), and what it declares it returns."""

from __future__ import annotations

import ast
import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
CLIENTS = ("indicators", "support_cases", "training")


@dataclass(frozen=True)
class ClientCall:
    service: str
    method: str  # the client method's name
    verb: str  # GET, POST, …
    path: str  # the path as written, f-string parts as {…}
    operation: str | None  # "VERB /template" of the service's OpenAPI, None: not found
    returns: str  # the return annotation as written
    node: ast.AsyncFunctionDef


def _path_of(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value.startswith("/api/") else None
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append(str(v.value))
            else:
                parts.append("{…}")
        text = "".join(parts)
        return text if text.startswith("/api/") else None
    return None


def _verb_and_path(fn: ast.AsyncFunctionDef) -> tuple[str, str] | None:
    for call in ast.walk(fn):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        if not (isinstance(call.func.value, ast.Name) and call.func.value.id == "self"):
            continue
        name, args = call.func.attr, call.args
        if name in ("get_json", "get_model", "get_body") and args and (p := _path_of(args[0])):
            return "GET", p
        if name == "open_stream" and args and (p := _path_of(args[0])):
            return "STREAM", p
        if name == "request" and len(args) >= 2 and isinstance(args[0], ast.Constant):
            if p := _path_of(args[1]):
                return str(args[0].value), p
    return None


def _match(verb: str, path: str, responses: dict[str, str], all_ops: set[str]) -> str | None:
    path = path.split("?", 1)[0]
    pattern = re.escape(path).replace(re.escape("{…}"), r"\{[^}]+\}")
    for op in sorted(all_ops):
        v, template = op.split(" ", 1)
        if v == verb and re.fullmatch(pattern, template):
            return op
    return None


def operations_of(service: str) -> set[str]:
    app = importlib.import_module(f"services.{service}.main").app
    return {
        f"{m.upper()} {p}"
        for p, ops in app.openapi()["paths"].items()
        for m in ops
        if m in ("get", "post", "put", "patch", "delete")
    }


def client_calls(service: str, source: str | None = None) -> list[ClientCall]:
    shapes = importlib.import_module(f"gateway.clients.shapes.{service}")
    ops = operations_of(service)
    text = source if source is not None else (GATEWAY / "clients" / f"{service}.py").read_text()
    tree = ast.parse(text)
    out = []
    for cls in tree.body:
        if not (isinstance(cls, ast.ClassDef) and cls.name.endswith("Client")):
            continue
        for fn in cls.body:
            if not isinstance(fn, ast.AsyncFunctionDef) or fn.name.startswith("_"):
                continue
            found = _verb_and_path(fn)
            if found is None:
                continue
            verb, path = found
            op = _match("GET" if verb == "STREAM" else verb, path, shapes.RESPONSES, ops)
            returns = ast.unparse(fn.returns) if fn.returns is not None else ""
            out.append(ClientCall(service, fn.name, verb, path, op, returns, fn))
    return out


def local_models(service: str, source: str | None = None) -> set[str]:
    """Classes the client module defines (its own narrower pydantic models and enums)."""
    text = source if source is not None else (GATEWAY / "clients" / f"{service}.py").read_text()
    return {n.name for n in ast.parse(text).body if isinstance(n, ast.ClassDef)}


TYPING = {"Any", "Literal", "None"}


def qualify(annotation: str, alias: str, names: set[str]) -> str:
    """``list[FrameworkOut]`` → ``list[shapes.FrameworkOut]`` (``names``: the shapes module's)."""
    return re.sub(
        r"(?<![\w.'\"])([A-Za-z_]\w*)\b",
        lambda m: f"{alias}.{m.group(1)}" if m.group(1) in names else m.group(1),
        annotation,
    )


BUILTINS = {"list", "None", "dict", "str", "int", "float", "bool"}


def reachable(shapes: Any, annotation: str) -> set[str]:
    """The shapes named in ``annotation`` and, transitively, in their fields."""
    names = set(vars(shapes)) - TYPING
    seen: set[str] = set()
    todo = [n for n in re.findall(r"\b\w+\b", annotation) if n in names]
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        obj = getattr(shapes, n)
        fields = getattr(obj, "__annotations__", {})
        text = " ".join(str(v) for v in fields.values()) if fields else str(obj)
        todo += [m for m in re.findall(r"\b\w+\b", text) if m in names]
    return seen


VAGUE = re.compile(r"\bdict\[str, Any\]|\bAny\b|^dict$|^list$|\bobject\b")


def problem_with(call: ClientCall, models: set[str], alias: str) -> str | None:
    """Why ``call``'s declared answer is not the service's shape (None: it is)."""
    shapes = importlib.import_module(f"gateway.clients.shapes.{call.service}")
    if call.operation is None and call.verb != "STREAM":
        return f"{call.verb} {call.path}: no such operation in the {call.service} OpenAPI"
    if call.verb == "STREAM":
        return None  # a file, streamed through (its path may be built from several parts)
    expected = shapes.RESPONSES.get(call.operation)
    r = call.returns
    if expected is None:  # no JSON answer (204, a file): the method must not claim one
        return (
            None
            if r in ("None", "httpx.Response", "bytes", "str")
            else f"returns {r}, answer has none"
        )
    if r == "httpx.Response":
        return None  # the caller needs headers or the raw body
    qualified = qualify(expected, alias, set(vars(shapes)) - TYPING)
    if r in (qualified, f"{qualified} | None"):
        return None
    names = set(re.findall(r"\b[A-Za-z_][\w.]*\b", r)) - BUILTINS
    inner = {f"{alias}.{n}" for n in reachable(shapes, expected)}
    if names and names <= models | inner and not VAGUE.search(r):
        return None  # its own (narrower) model of the answer, or a part of the answer
    return (
        f"{call.verb} {call.operation}: declares {r or 'nothing'}, the service answers {qualified}"
    )


def body_problem(call: ClientCall, alias: str) -> str | None:
    """Why the body ``call`` sends (a parameter passed as ``json=``) is not typed as the
    service's request model (None: it is, or the method builds the body itself)."""
    shapes = importlib.import_module(f"gateway.clients.shapes.{call.service}")
    if call.operation is None:
        return None
    expected = shapes.REQUESTS.get(call.operation)
    params = {a.arg: a for a in call.node.args.args + call.node.args.kwonlyargs}
    for node in ast.walk(call.node):
        if not isinstance(node, ast.keyword) or node.arg != "json":
            continue
        if not (isinstance(node.value, ast.Name) and node.value.id in params):
            continue  # a body the method builds from typed arguments
        ann = params[node.value.id].annotation
        declared = ast.unparse(ann) if ann is not None else ""
        if expected is None:
            return f"{call.operation}: sends {declared}, the service takes no JSON body"
        qualified = qualify(expected, alias, set(vars(shapes)) - TYPING)
        if declared not in (qualified, f"{qualified} | None"):
            return f"{call.operation}: body {declared}, the service takes {qualified}"
    return None
