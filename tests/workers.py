"""An app served for real: ``python -m scripts.serve <app>`` with ``<APP>_WORKERS=2`` on a free
port against its own migrated database, and HTTP connections that know which worker process
answers them (the server side of the connection, found among the workers' sockets).

Used by the tests that check that answers are the same whichever process takes a request and
that a read right after a write sees it, from another process."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from services.common import migrate
from tests import dbs
from tests.helpers import TEST_SECRET, auth

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(app: str, tmp: Path) -> str:
    """A fresh database: a SQLite file, or ``<DATABASE_URL name>_w<app>`` on PostgreSQL."""
    base = dbs.base_url()
    if base is None:
        return f"sqlite+aiosqlite:///{tmp / f'{app}-workers.db'}"
    from sqlalchemy.engine import make_url

    u = make_url(base)
    return u.set(database=f"{u.database}_w{app}").render_as_string(hide_password=False)


class Connection:
    """One keep-alive HTTP connection: every request on it goes to the same worker."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.http = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.http.connect()
        self.local_port = self.http.sock.getsockname()[1]
        self.headers = headers
        self.worker: int | None = None

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        self.http.request(method, path, body=data, headers=headers)
        resp = self.http.getresponse()
        raw = resp.read()
        return resp.status, (json.loads(raw) if raw else None)

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def close(self) -> None:
        self.http.close()


class Served:
    """``app`` served by ``scripts.serve`` with ``workers`` processes."""

    def __init__(self, app: str, url: str, log: Path, workers: int = 2) -> None:
        self.app, self.url, self.log, self.workers = app, url, log, workers
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Served:
        if dbs.using_postgres():
            asyncio.run(dbs.acreate_databases({self.app: self.url}))
        migrate.upgrade(self.app, self.url)
        prefix = self.app.upper()
        env = dict(
            os.environ,
            **{
                f"{prefix}_DATABASE_URL": self.url,
                f"{prefix}_HOST": "127.0.0.1",
                f"{prefix}_PORT": str(self.port),
                f"{prefix}_WORKERS": str(self.workers),
                "BANSO_TOKEN_SECRET": TEST_SECRET,
                "BANSO_ENV": "test",
                "BANSO_LOG_LEVEL": "WARNING",
            },
        )
        self.out = self.log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.serve", self.app],
            cwd=ROOT,
            env=env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as a whole
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                c = Connection(self.port, {})
                status, _ = c.request("GET", "/readyz")
                c.close()
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.app} did not become ready:\n{self.log.read_text()}")

    def worker_pids(self) -> list[int]:
        """The processes that listen on the port (uvicorn's workers, not its supervisor)."""
        assert self.proc is not None
        out = []
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if any(
                    c.status == psutil.CONN_LISTEN and c.laddr.port == self.port
                    for c in p.net_connections(kind="tcp")
                ):
                    out.append(p.pid)
            except psutil.NoSuchProcess:
                continue
        return out

    def worker_of(self, conn: Connection) -> int:
        for pid in self.worker_pids():
            for c in psutil.Process(pid).net_connections(kind="tcp"):
                if c.raddr and c.raddr.port == conn.local_port and c.laddr.port == self.port:
                    return pid
        raise AssertionError("no worker holds this connection")

    def connect(self, role: str = "coordinator", municipality: str | None = None) -> Connection:
        conn = Connection(self.port, auth(role, municipality))
        conn.get("/api/v1/me")  # accepted by a worker: now it has a side
        conn.worker = self.worker_of(conn)
        return conn

    def one_per_worker(self, tries: int = 60) -> list[Connection]:
        """A connection to each worker (new connections until every worker holds one)."""
        chosen: dict[int, Connection] = {}
        spare: list[Connection] = []
        for _ in range(tries):
            conn = self.connect()
            assert conn.worker is not None
            if conn.worker in chosen:
                spare.append(conn)
            else:
                chosen[conn.worker] = conn
            if len(chosen) == self.workers:
                break
            time.sleep(0.02)
        for c in spare:
            c.close()
        assert len(chosen) == self.workers, f"only workers {sorted(chosen)} took connections"
        return list(chosen.values())

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.out.close()
        if dbs.using_postgres():
            asyncio.run(dbs.adrop_databases({self.app: self.url}))
