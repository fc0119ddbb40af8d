"""Run the four apps and keep them running: `python -m scripts.supervise [app …]`.

What `make run` and `make serve` use. Each app is started with the same command as before
(``python -m scripts.serve <app>``, on its configured host and port: 8000 gateway, 8001
indicators, 8002 support_cases, 8003 training). When one app exits or crashes, the others keep
running and the crashed one is started again after a back-off (1 s, then doubling up to 30 s;
back to 1 s once it has stayed up 30 s). Meanwhile the gateway's pages show the parts they
have and the notice that a service is down. Ctrl-C (SIGINT) or SIGTERM stops every app cleanly
(SIGTERM, then SIGKILL after 10 s).

Each output line is prefixed with the time and the app's name. ``BANSO_SUPERVISE_BACKOFF`` and
``BANSO_SUPERVISE_BACKOFF_MAX`` (seconds) change the back-off.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import time
from dataclasses import dataclass, field

from scripts.apps import APPS
from services.common import clock

# Start order: the services before the gateway that calls them.
ORDER = ("indicators", "support_cases", "training", "gateway")
STABLE_SECONDS = 30.0
STOP_GRACE_SECONDS = 10.0


def command(app: str) -> list[str]:
    return [sys.executable, "-m", "scripts.serve", app]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the app gets SIGTERM if the supervisor itself dies (never left orphaned)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    os.setpgrp()  # Ctrl-C reaches the supervisor, which stops the apps in order


def say(name: str, line: str) -> None:
    stamp = clock.now_tokyo().strftime("%H:%M:%S")  # log lines in Tokyo time
    sys.stdout.write(f"{stamp} {name:<13} | {line.rstrip()}\n")
    sys.stdout.flush()


@dataclass
class Supervised:
    app: str
    backoff: float
    backoff_max: float
    proc: asyncio.subprocess.Process | None = None
    restarts: int = 0
    history: list[int] = field(default_factory=list)  # exit codes, for the record

    async def _pump(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            say(self.app, line.decode("utf-8", "replace"))

    async def keep(self, stopping: asyncio.Event) -> None:
        delay = self.backoff
        while not stopping.is_set():
            self.proc = await asyncio.create_subprocess_exec(
                *command(self.app),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            say("supervise", f"{self.app} started (pid {self.proc.pid})")
            started = time.monotonic()
            pump = asyncio.create_task(self._pump(self.proc))
            code = await self.proc.wait()
            await pump
            self.history.append(code)
            if stopping.is_set():
                say("supervise", f"{self.app} stopped")
                return
            if time.monotonic() - started >= STABLE_SECONDS:
                delay = self.backoff
            say(
                "supervise",
                f"{self.app} exited (code {code}); the other apps keep running; "
                f"restarting {self.app} in {delay:g} s",
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=delay)
            delay = min(delay * 2, self.backoff_max)
            self.restarts += 1

    async def stop(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r}: give a number of seconds") from None
    if value <= 0:
        raise SystemExit(f"{name}={raw!r}: give a number of seconds above 0")
    return value


async def supervise(apps: list[str]) -> int:
    backoff = _seconds("BANSO_SUPERVISE_BACKOFF", 1.0)
    backoff_max = max(backoff, _seconds("BANSO_SUPERVISE_BACKOFF_MAX", 30.0))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    units = [Supervised(app, backoff, backoff_max) for app in apps]
    tasks = [asyncio.create_task(u.keep(stopping)) for u in units]
    await stopping.wait()
    say("supervise", "stopping every app")
    # The gateway first (it calls the services), then the services.
    for u in sorted(units, key=lambda u: u.app != "gateway"):
        await u.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("apps", nargs="*", help=f"some of {', '.join(ORDER)} (default: all)")
    args = parser.parse_args(argv)
    unknown = [a for a in args.apps if a not in APPS]
    if unknown:
        parser.error(f"unknown app(s) {', '.join(unknown)}: choose among {', '.join(ORDER)}")
    apps = [a for a in ORDER if a in (args.apps or ORDER)]
    raise SystemExit(asyncio.run(supervise(apps)))


if __name__ == "__main__":
    main()
