"""The gateway's layout rules (#13), checked on the source: routes stay short, only the
clients name service paths, one error helper."""

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
MAX_ROUTE_LINES = 15
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete"}


def _modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (GATEWAY / f).glob("*.py"))


def _is_route(fn: ast.AsyncFunctionDef | ast.FunctionDef) -> bool:
    for d in fn.decorator_list:
        call = d.func if isinstance(d, ast.Call) else d
        if isinstance(call, ast.Attribute) and call.attr in ROUTE_DECORATORS:
            return True
    return False


def _body_lines(fn: ast.AsyncFunctionDef | ast.FunctionDef) -> int:
    body = fn.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:] or body  # the docstring is not code
    return (body[-1].end_lineno or 0) - body[0].lineno + 1


def long_routes() -> dict[str, int]:
    out = {}
    for path in _modules("api", "pages"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_route(node):
                if (n := _body_lines(node)) > MAX_ROUTE_LINES:
                    out[f"{path.parent.name}/{path.name}:{node.name}"] = n
    return out


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants and f-strings, docstrings left out."""
    docstrings = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    out = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings:
            out.append((n.lineno, n.value))
    return out


class TestRoutesAreShort:
    def test_no_route_body_over_15_lines(self) -> None:
        long = long_routes()
        assert not long, f"routes over {MAX_ROUTE_LINES} lines (move the work into a view): {long}"

    def test_the_checker_catches_a_long_route(self, tmp_path: Path) -> None:
        src = "@router.get('/x')\nasync def x():\n" + "    a = 1\n" * 16
        fn = ast.parse(src).body[0]
        assert _is_route(fn) and _body_lines(fn) == 16


ALLOWED_NAMES = {"router", "templates", "__all__"}


def _is_type_alias(value: ast.expr | None) -> bool:
    """``FY = Annotated[...]``: a parameter type of the routes' signatures."""
    return (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Name)
        and value.value.id == "Annotated"
    )


def not_routes(path: Path) -> list[str]:
    """What a page or API module defines besides its routes, its router (or templates) and the
    parameter types of its routes' signatures: helpers and constants belong in a view."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if isinstance(node, ast.ClassDef) or not _is_route(node):
                out.append(f"{path.parent.name}/{path.name}:{node.name}")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if not (set(names) <= ALLOWED_NAMES or _is_type_alias(node.value)):
                out.append(f"{path.parent.name}/{path.name}:{','.join(names) or '?'}")
    return out


class TestPagesAndApiHoldOnlyRoutes:
    def test_page_and_api_modules_define_only_routes(self) -> None:
        found = [x for path in _modules("api", "pages") for x in not_routes(path)]
        assert not found, f"helpers and constants belong in gateway/views/: {found}"

    def test_the_checker_catches_a_helper_and_a_constant(self, tmp_path: Path) -> None:
        src = (
            "router = APIRouter()\n"
            "FY = Annotated[int, Query()]\n"
            "LIMIT = 3\n"
            "def _helper():\n    pass\n"
            "@router.get('/x')\nasync def x():\n    pass\n"
        )
        path = tmp_path / "pages" / "m.py"
        path.parent.mkdir()
        path.write_text(src, encoding="utf-8")
        assert not_routes(path) == ["pages/m.py:LIMIT", "pages/m.py:_helper"]


class TestOnlyClientsNameServicePaths:
    def test_no_service_path_outside_gateway_clients(self) -> None:
        found = []
        for path in sorted(GATEWAY.rglob("*.py")):
            if "clients" in path.relative_to(GATEWAY).parts:
                continue
            for line, text in _strings(ast.parse(path.read_text(encoding="utf-8"))):
                if "/api/v1/" in text:
                    found.append(f"{path.relative_to(GATEWAY)}:{line}: {text}")
        assert not found, "service paths belong in gateway/clients/: " + "; ".join(found)


class TestOneErrorHelper:
    def test_no_copies_of_the_refusal_and_stream_code(self) -> None:
        copies = []
        for path in sorted(GATEWAY.rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for marker in (
                "def _app_error",
                "def _as_app_error",
                "StreamingResponse(",
                "def _is_page",
            ):
                if marker in text and path.name not in ("actions.py",):
                    copies.append(f"{path.relative_to(GATEWAY)}: {marker}")
            if "send(req, stream=True)" in text and path.name != "base.py":
                copies.append(f"{path.relative_to(GATEWAY)}: streaming copy")
        assert not copies, copies
