"""Schemathesis 4 over one app's OpenAPI, as CI and ``make fuzz`` run it.

Phases examples, coverage, fuzzing and stateful; positive and negative data; checks: no 5xx,
every status documented, every response matching its schema and content type, 405 with a
correct ``Allow``, a deleted resource answering 404 (``use_after_free``). The seed changes every
run and is printed; ``FUZZ_SEED=<n>`` replays a run, ``FUZZ_EXAMPLES`` sets the examples per
operation (CI 50, ``make fuzz`` 500).

Bounded time: ``FUZZ_MAX_TIME`` seconds per schemathesis process (CI: 100; ``make fuzz``: 0, no
bound). Schemathesis splits that budget into a slice per operation, so a slow operation cannot
starve the others, and repeats the fuzzing and stateful phases while time is left. The
indicators service (100+ operations) runs as two processes, one per group of paths
(``GROUPS``), so each group gets the whole budget and the service's two workers are both
busy."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
    ]
)
PHASES = os.environ.get("FUZZ_PHASES", "examples,coverage,fuzzing,stateful")
# Operations that could take the fuzzer's own access away (revoke its token, deactivate or
# demote its admin) run in a second pass, after everything else.
LAST = r"^/api/v1/admin/(tokens/\{token_id\}/revoke|users/\{user_id\})$"


# Path groups of an app run as separate schemathesis processes at once (regexes on the path;
# the last group of an app is "everything else").
GROUPS: dict[str, list[str]] = {
    "indicators": [
        r"^/api/v1/(frameworks|results|peer-sets|insurers|deduction-rules|budgets|allocation"
        r"|first-insured)",
        "",
    ],
}


def examples() -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", "50"))


def max_time() -> int:
    """Seconds per schemathesis process; 0: no bound (``make fuzz``)."""
    return int(os.environ.get("FUZZ_MAX_TIME", "100"))


def parts(app: str) -> list[tuple[str, list[str]]]:
    """(label, schemathesis path filters) of the processes an app runs as."""
    groups = GROUPS.get(app)
    if not groups:
        return [(app, [])]
    named = [g for g in groups if g]
    out = [(f"{app}[{i + 1}]", ["--include-path-regex", g]) for i, g in enumerate(named)]
    rest = []
    for g in named:
        rest += ["--exclude-path-regex", g]
    out.append((f"{app}[{len(named) + 1}]", rest))
    return out


def seed() -> int:
    """FUZZ_SEED to replay, else a new one (printed by the caller)."""
    raw = os.environ.get("FUZZ_SEED")
    return int(raw) if raw else random.SystemRandom().randrange(1, 2**31)


@dataclass
class Result:
    app: str
    seed: int
    examples: int
    returncode: int
    seconds: float
    output: str

    @property
    def generated(self) -> str:
        """Schemathesis' count of test cases ("N generated"), as printed."""
        found = re.findall(r"(\d+) generated", self.output)
        return " + ".join(found) if found else "?"

    def summary(self) -> str:
        lines = self.output.strip().splitlines()
        failures = [i for i, line in enumerate(lines) if "FAILURES" in line and "=" in line]
        warnings = [i for i, line in enumerate(lines) if "WARNINGS" in line and "=" in line]
        start = failures[0] if failures else max(0, len(lines) - 60)
        end = warnings[0] if warnings and warnings[0] > start else start + 150
        tail = "\n".join(lines[start : min(end, start + 150)] + ["…"] + lines[-25:])
        return (
            f"schemathesis {self.app}: seed {self.seed} (FUZZ_SEED={self.seed} to replay), "
            f"{self.examples} examples per operation, {self.generated} test cases, "
            f"{self.seconds:.0f} s, "
            f"exit {self.returncode}\n{tail}"
        )


def _run(args: list[str], timeout: float) -> tuple[int, str]:
    # In a scratch directory: schemathesis keeps a cache of crashes (.schemathesis/) where it
    # runs, which must not land in the repository.
    scratch = tempfile.mkdtemp(prefix="banso-fuzz-")
    proc = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", *args],
        cwd=scratch,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"},
    )
    return proc.returncode, proc.stdout + proc.stderr


def fuzz(
    app: str,
    base_url: str,
    headers: dict[str, str],
    *,
    n: int,
    run_seed: int,
    timeout: float,
    budget: int = 0,
    filters: list[str] | None = None,
) -> Result:
    """One schemathesis process over ``app`` (``filters``: its path group), at most ``budget``
    seconds (0: no bound); the gateway runs its LAST operations in a second, shorter pass."""
    started = time.monotonic()
    last_budget = max(10, budget // 6) if budget else 0
    main_budget = budget - last_budget if budget and app == "gateway" else budget
    common = [
        f"{base_url}/openapi.json",
        "--phases",
        PHASES,
        "--checks",
        CHECKS,
        "--max-examples",
        str(n),
        "--seed",
        str(run_seed),
        "--suppress-health-check",
        "all",
        "--workers",
        # One worker: the services are already fuzzed by three processes at once on two cores,
        # the time goes into generating data (CPU), and two worker threads in one process hit a
        # race in Hypothesis' lambda-source parsing ("AST constructor recursion depth mismatch").
        os.environ.get("FUZZ_WORKERS", "1"),
        "--request-timeout",
        "30",
        "--no-shrink" if os.environ.get("FUZZ_SHRINK") != "1" else "--continue-on-failure",
        "--output-truncate",
        "true",
    ]
    for name, value in headers.items():
        common += ["--header", f"{name}: {value}"]
    common += filters or []

    def bound(seconds: int) -> list[str]:
        return ["--max-time", str(seconds)] if seconds else []

    if app != "gateway":
        code, out = _run([*common, *bound(main_budget)], timeout)
        return Result(app, run_seed, n, code, time.monotonic() - started, out)
    code, out = _run([*common, *bound(main_budget), "--exclude-path-regex", LAST], timeout)
    if code == 0:
        code, more = _run([*common, *bound(last_budget), "--include-path-regex", LAST], timeout)
        out += "\n" + more
    return Result(app, run_seed, n, code, time.monotonic() - started, out)
