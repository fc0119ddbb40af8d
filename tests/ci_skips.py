"""The skips CI accepts, each with its reason; any other skip fails a CI run (``CI=1``).

tests/conftest.py collects every skipped test, lists them at the end of the run and, when the
``CI`` environment variable is set (``.ci/run`` exports ``CI=1``), turns the session into a
failure if one of them matches no entry here. A skip is a claim that a test does not apply;
this file is where each such claim is written down and reviewed.

An entry matches a skip by the test's path prefix, the pass it happens in (``sqlite``: the
``make test`` pass with ``DATABASE_URL`` unset; ``postgres``: the pass with ``DATABASE_URL``;
``any``) and the beginning of the skip's reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class AllowedSkip:
    path: str  # nodeid prefix, e.g. "tests/e2e/"
    db_pass: str  # "sqlite", "postgres" or "any"
    reason: str  # the skip reason starts with this
    why: str  # why the skip is right (for the reader; printed with the list)


ALLOWED: tuple[AllowedSkip, ...] = (
    AllowedSkip(
        path="tests/e2e/",
        db_pass="postgres",
        reason="e2e: run once, in the SQLite pass",
        why="the browser tests drive the UI, which does not depend on the database kind; "
        "they run (and must run) in the SQLite pass",
    ),
    AllowedSkip(
        path="tests/fuzz/",
        db_pass="postgres",
        reason="fuzzing: run once, in the SQLite pass",
        why="the OpenAPI fuzzing checks the HTTP contract; it runs in the SQLite pass",
    ),
)


def in_ci() -> bool:
    """True when the CI environment variable is set to something other than 0/false/empty."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def db_pass() -> str:
    return "postgres" if os.environ.get("DATABASE_URL", "").strip() else "sqlite"


def allowed(nodeid: str, reason: str, current_pass: str | None = None) -> AllowedSkip | None:
    """The entry that allows this skip in this pass, or None."""
    current_pass = current_pass or db_pass()
    for entry in ALLOWED:
        if (
            nodeid.startswith(entry.path)
            and entry.db_pass in (current_pass, "any")
            and reason.startswith(entry.reason)
        ):
            return entry
    return None


def skip_reason(longrepr: object) -> str:
    """The reason text of a skipped test report (``(file, line, 'Skipped: reason')``)."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])
    else:
        text = str(longrepr)
    return text.removeprefix("Skipped: ")
