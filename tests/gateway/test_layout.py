"""The gateway's layout rules (#13), checked on the source: routes stay short, only the
clients name service paths, one error helper."""

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
MAX_ROUTE_LINES = 15
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete"}
# Page routes still longer than 15 lines, to be split into views: this list may only shrink.
LONG_ROUTES_LEFT = {
    "pages/indicators.py:indicators_import",
    "pages/indicators.py:indicators_allocation",
    "pages/indicators.py:indicators_whatif",
    "pages/pdca.py:pdca_cell_save",
    "pages/support.py:support_add_visit",
    "pages/support.py:support_add_node",
    "pages/support.py:support_move_node",
    "pages/support.py:support_reorder_node",
    "pages/support.py:support_add_initiative",
    "pages/support.py:support_save_lessons",
}


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
    def test_no_route_body_over_15_lines_but_the_listed_ones(self) -> None:
        long = long_routes()
        grown = {k: v for k, v in long.items() if k not in LONG_ROUTES_LEFT}
        assert not grown, (
            f"routes over {MAX_ROUTE_LINES} lines (move the work into a view): {grown}"
        )

    def test_the_list_of_long_routes_only_shrinks(self) -> None:
        fixed = LONG_ROUTES_LEFT - set(long_routes())
        assert not fixed, f"now short, take them off LONG_ROUTES_LEFT: {sorted(fixed)}"

    def test_the_combined_api_and_the_dashboard_are_short(self) -> None:
        long = long_routes()
        assert not [k for k in long if k.startswith(("api/", "pages/municipalities.py"))]

    def test_the_checker_catches_a_long_route(self, tmp_path: Path) -> None:
        src = "@router.get('/x')\nasync def x():\n" + "    a = 1\n" * 16
        fn = ast.parse(src).body[0]
        assert _is_route(fn) and _body_lines(fn) == 16


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
