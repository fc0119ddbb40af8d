"""The whole system on loopback for end-to-end tests and drills: migrate, load demo data,
start the three services and the gateway as real uvicorn processes on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
APPS = ("indicators", "support_cases", "training", "gateway")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class System:
    workdir: Path
    secret: str = "e2e-secret-for-banso-end-to-end-tests-0123456789"
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # Per app database URLs (e.g. PostgreSQL for drills); SQLite files in workdir otherwise.
    database_urls: dict[str, str] = field(default_factory=dict)
    demo: bool = True
    # More settings for every step and app (e.g. cheap password hashing in a test).
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def service_url(self, app: str) -> str:
        return f"http://127.0.0.1:{self.ports[app]}"

    def prepare(self) -> None:
        self.ports = {app: free_port() for app in APPS}
        env = {k: v for k, v in os.environ.items() if not k.endswith("DATABASE_URL")}
        env.update(
            BANSO_ENV="test",
            BANSO_TOKEN_SECRET=self.secret,
            BANSO_LOG_JSON="true",
            BANSO_LOG_LEVEL="WARNING",
            GATEWAY_DEMO="true",
            GATEWAY_DATABASE_URL=self.database_urls.get(
                "gateway", f"sqlite+aiosqlite:///{self.workdir / 'gateway.db'}"
            ),
        )
        env.update(self.extra_env)
        for app in APPS:
            prefix = app.upper()
            env[f"{prefix}_PORT"] = str(self.ports[app])
            env[f"{prefix}_HOST"] = "127.0.0.1"
            if app != "gateway":
                env[f"{prefix}_DATABASE_URL"] = self.database_urls.get(
                    app, f"sqlite+aiosqlite:///{self.workdir / f'{app}.db'}"
                )
                env[f"GATEWAY_{prefix}_URL"] = self.service_url(app)
        self.env = env
        for step in self._setup_steps():
            subprocess.run(
                [sys.executable, "-m", *step],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=180,
                stdout=subprocess.DEVNULL,
            )

    def _setup_steps(self) -> list[list[str]]:
        steps = [["scripts.migrate"]]
        if self.demo:
            steps.append(["scripts.demo"])
        if (ROOT / "scripts" / "demo_users.py").exists():
            steps.append(["scripts.demo_users"])
        return steps

    def start(self, app: str) -> None:
        log = open(self.workdir / f"{app}.log", "ab")
        self.procs[app] = subprocess.Popen(
            [sys.executable, "-m", "scripts.serve", app],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, app: str, sig: int = signal.SIGTERM) -> None:
        proc = self.procs.pop(app, None)
        if proc and proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def wait_ready(self, app: str = "gateway", timeout: float = 60) -> None:
        url = f"http://127.0.0.1:{self.ports[app]}/readyz"
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            try:
                r = httpx.get(url, timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.2)
        raise RuntimeError(f"{app} not ready after {timeout}s: {last}")

    def up(self) -> System:
        self.prepare()
        for app in APPS:
            self.start(app)
        self.wait_ready("gateway")
        return self

    def down(self) -> None:
        for app in list(self.procs):
            self.stop(app)
