"""CI proves what it claims: in CI (CI=1) a missing browser fails the browser tests, and a skip
that tests/ci_skips.py does not allow fails the run. Each case runs pytest in a subprocess on a
handful of tests (a few seconds each)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import ci_skips

ROOT = Path(__file__).resolve().parents[1]

SKIP_EVERYTHING = """
import pytest


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.skip(reason="probe: a skip nobody allowed"))
"""


def run_pytest(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL", "PYTEST_ADDOPTS")
    }
    environ.update(env)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), str(ROOT)]))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_ci_fails_when_chromium_is_missing(tmp_path: Path) -> None:
    r = run_pytest(["tests/e2e/test_shell.py"], tmp_path, CI="1", CHROMIUM="/nonexistent/chromium")
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "CI=1 and the browser tests cannot run" in out, out
    assert "Chromium not found" in out, out
    assert " skipped" not in out.splitlines()[-1], out


def test_without_ci_a_missing_chromium_is_a_listed_skip(tmp_path: Path) -> None:
    r = run_pytest(["tests/e2e/test_shell.py"], tmp_path, CHROMIUM="/nonexistent/chromium")
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "UNEXPECTED" in out and "Chromium not found" in out, out
    assert "would fail a CI run" in out, out


def test_an_unlisted_skip_fails_a_ci_run_and_is_listed(tmp_path: Path) -> None:
    (tmp_path / "skip_everything.py").write_text(SKIP_EVERYTHING, encoding="utf-8")
    args = ["-p", "skip_everything", "tests/common/test_fiscal.py"]
    ci = run_pytest(args, tmp_path, CI="1")
    out = ci.stdout + ci.stderr
    assert ci.returncode == 1, out
    assert "UNEXPECTED" in out and "probe: a skip nobody allowed" in out, out
    assert "tests/common/test_fiscal.py::" in out, out


def test_the_allowed_skips_of_the_postgres_pass() -> None:
    e2e = "tests/e2e/test_shell.py::test_x"
    reason = "e2e: run once, in the SQLite pass (the UI does not depend on the database kind)"
    assert ci_skips.allowed(e2e, reason, "postgres") is not None
    # the same skip in the SQLite pass is not allowed: there the browser tests must run
    assert ci_skips.allowed(e2e, reason, "sqlite") is None
    assert ci_skips.allowed(e2e, "e2e: Chromium not found at /usr/bin/chromium", "sqlite") is None
    fuzz = "tests/fuzz/test_openapi.py::test_y"
    assert ci_skips.allowed(fuzz, "fuzzing: run once, in the SQLite pass", "postgres")
    assert ci_skips.allowed(fuzz, "fuzzing: run once, in the SQLite pass", "sqlite") is None
    # the SQLite pass fuzzes (bounded in time): no skip of it is allowed there
    assert ci_skips.allowed(fuzz, "fuzzing: make fuzz runs it", "sqlite") is None
    assert all(entry.why for entry in ci_skips.ALLOWED)


def test_make_test_and_ci_run_the_sqlite_pass_with_database_url_unset() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    test_rule = makefile.split("\ntest: ", 1)[1].split("\n\n", 1)[0]
    assert "env -u DATABASE_URL" in test_rule, test_rule
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export CI=1" in ci
    assert 'run_pytest_step "make test" env -u DATABASE_URL make test' in ci
    # a failed install stops CI instead of being reported and ignored
    install = ci.split("apt-get install", 1)[1].split("\nfi", 1)[0]
    assert "exit 1" in install, install


def test_the_sqlite_pass_really_ignores_database_url(tmp_path: Path) -> None:
    """`make test` with a DATABASE_URL in the environment still runs on SQLite."""
    r = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-o",
            ".venv/.installed",  # never reinstall from inside a test
            "test",
            "PYTEST_ARGS=-p no:cacheprovider tests/common/test_fiscal.py",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "database: SQLite" in out, out
