"""Schemathesis 4 over one app's OpenAPI, as CI and ``make fuzz`` run it.

Phases examples, coverage, fuzzing and stateful; positive and negative data; checks: no 5xx,
every status documented, every response matching its schema and content type, 405 with a
correct ``Allow``, a deleted resource answering 404 (``use_after_free``). The seed changes every
run and is printed; ``FUZZ_SEED=<n>`` replays a run, ``FUZZ_EXAMPLES`` sets the examples per
operation (CI 50, ``make fuzz`` 500)."""

from __future__ import annotations

import os
import random
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


def examples() -> int:
    return int(os.environ.get("FUZZ_EXAMPLES", "50"))


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

    def summary(self) -> str:
        lines = self.output.strip().splitlines()
        failures = [i for i, line in enumerate(lines) if "FAILURES" in line and "=" in line]
        warnings = [i for i, line in enumerate(lines) if "WARNINGS" in line and "=" in line]
        start = failures[0] if failures else max(0, len(lines) - 60)
        end = warnings[0] if warnings and warnings[0] > start else start + 150
        tail = "\n".join(lines[start : min(end, start + 150)] + ["…"] + lines[-25:])
        return (
            f"schemathesis {self.app}: seed {self.seed} (FUZZ_SEED={self.seed} to replay), "
            f"{self.examples} examples per operation, {self.seconds:.0f} s, "
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
    app: str, base_url: str, headers: dict[str, str], *, n: int, run_seed: int, timeout: float
) -> Result:
    started = time.monotonic()
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
    if app != "gateway":
        code, out = _run(common, timeout)
        return Result(app, run_seed, n, code, time.monotonic() - started, out)
    code, out = _run([*common, "--exclude-path-regex", LAST], timeout)
    if code == 0:
        code, more = _run([*common, "--include-path-regex", LAST], timeout)
        out += "\n" + more
    return Result(app, run_seed, n, code, time.monotonic() - started, out)
