"""Schemathesis 4 over every app's OpenAPI with an admin actor (tests/fuzz/runner.py): phases
examples, coverage, fuzzing and stateful, FUZZ_EXAMPLES (50 in CI, 500 with ``make fuzz``)
examples per operation, a new seed every run, printed (FUZZ_SEED replays it). Fails on any 5xx,
any response that breaks its schema or content type, any undocumented status, a wrong 405 or
``Allow``, a deleted resource still answering.

The three services are fuzzed at once (one schemathesis process each), then the gateway (which
calls them: fuzzed alongside, it would meet services saturated by their own fuzzing)."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.fuzz import runner

SERVICES = ("indicators", "support_cases", "training")


def test_openapi(fuzz_system, fuzz_headers, gateway_headers, capsys) -> None:  # type: ignore[no-untyped-def]
    seed = runner.seed()
    n = runner.examples()
    timeout = float(os.environ.get("FUZZ_TIMEOUT", "3600"))

    def say(line: str) -> None:
        # Past pytest's capture (fd level too), so a green run shows its seed and times as well.
        with capsys.disabled():
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    say(f"\nfuzz: seed {seed} (FUZZ_SEED={seed} replays), {n} examples/op")

    def run(app: str):  # type: ignore[no-untyped-def]
        headers = gateway_headers if app == "gateway" else fuzz_headers
        return runner.fuzz(
            app, fuzz_system.service_url(app), headers, n=n, run_seed=seed, timeout=timeout
        )

    with ThreadPoolExecutor(len(SERVICES)) as pool:
        results = list(pool.map(run, SERVICES))
    results.append(run("gateway"))
    for r in results:
        say(f"fuzz {r.app}: exit {r.returncode} in {r.seconds:.0f} s (seed {r.seed})")
    failed = [r.summary() for r in results if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
