"""Schemathesis 4 over every app's OpenAPI with an admin actor (tests/fuzz/runner.py): phases
examples, coverage, fuzzing and stateful, FUZZ_EXAMPLES (50 in CI, 500 with ``make fuzz``)
examples per operation, a new seed every run, printed (FUZZ_SEED replays it). Fails on any 5xx,
any response that breaks its schema or content type, any undocumented status, a wrong 405 or
``Allow``, a deleted resource still answering.

The three services at once (indicators as two processes, one per group of paths), each process
bounded by FUZZ_MAX_TIME seconds (100 in ``make test``; ``make fuzz`` sets 0: no bound), then the
gateway alone (it calls the services: fuzzed alongside, it meets services saturated by their own
fuzzing, and its ``complete=true`` reads rightly answer 503 when one of them does not answer in
time), bounded by two fifths of that (at least 30 s). The pass takes about 1.4 × FUZZ_MAX_TIME
plus the system's start, whatever the machine's load; the seed, the time and the number of test
cases of each process are printed."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.fuzz import runner

SERVICES = ("indicators", "support_cases", "training")


def test_openapi(fuzz_system, fuzz_headers, gateway_headers, capsys) -> None:  # type: ignore[no-untyped-def]
    seed = runner.seed()
    n = runner.examples()
    budget = runner.max_time()
    timeout = float(os.environ.get("FUZZ_TIMEOUT", str(budget * 3 if budget else 4 * 3600)))

    def say(line: str) -> None:
        # Past pytest's capture (fd level too), so a green run shows its seed and times as well.
        with capsys.disabled():
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    bound = f"at most {budget} s per process" if budget else "no time bound"
    say(f"\nfuzz: seed {seed} (FUZZ_SEED={seed} replays), {n} examples/op, {bound}")

    jobs = [(app, label, filters) for app in SERVICES for label, filters in runner.parts(app)]

    def run(job, seconds: int = budget):  # type: ignore[no-untyped-def]
        app, label, filters = job
        headers = gateway_headers if app == "gateway" else fuzz_headers
        result = runner.fuzz(
            app,
            fuzz_system.service_url(app),
            headers,
            n=n,
            run_seed=seed,
            timeout=timeout,
            budget=seconds,
            filters=filters,
        )
        result.app = label
        return result

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(run, jobs))
    results.append(run(("gateway", "gateway", []), max(30, budget * 2 // 5) if budget else 0))
    for r in results:
        say(
            f"fuzz {r.app}: exit {r.returncode} in {r.seconds:.0f} s, "
            f"{r.generated} test cases (seed {r.seed})"
        )
    failed = [r.summary() for r in results if r.returncode != 0]
    assert not failed, "\n\n".join(failed)
