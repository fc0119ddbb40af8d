"""What every drill shares: the system on PostgreSQL, tokens, checks that print and count."""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.system import APPS, System

PG = os.environ.get(
    "DRILL_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/banso_drill"
)


@dataclass
class Report:
    name: str
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    def did(self, what: str) -> None:
        print(f"  · {what}", flush=True)

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((what, ok, detail))
        mark = "OK " if ok else "NG "
        print(f"  {mark} {what}{(' — ' + detail) if detail else ''}", flush=True)
        return ok

    @property
    def ok(self) -> bool:
        return all(ok for _, ok, _ in self.checks) and bool(self.checks)


async def _pg_admin(statements: list[str]) -> None:
    u = make_url(PG)
    conn = await asyncpg.connect(
        host=u.host or "127.0.0.1",
        port=u.port or 5432,
        user=u.username or "postgres",
        password=u.password,
        database="postgres",
    )
    try:
        for s in statements:
            await conn.execute(s)
    finally:
        await conn.close()


def pg_urls() -> dict[str, str]:
    u = make_url(PG)
    return {
        app: u.set(database=f"{u.database}_{app}").render_as_string(hide_password=False)
        for app in APPS
    }


class DrillSystem:
    """The whole system on fresh PostgreSQL databases, without demo data."""

    def __init__(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.urls = pg_urls()
        self.system = System(Path(self.tmp.name), database_urls=self.urls, demo=False)

    def __enter__(self) -> System:
        names = [make_url(u).database for u in self.urls.values()]
        asyncio.run(
            _pg_admin(
                [
                    s
                    for n in names
                    for s in (
                        f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)',
                        f'CREATE DATABASE "{n}"',
                    )
                ]
            )
        )
        return self.system.up()

    def __exit__(self, *exc: object) -> None:
        self.system.down()
        names = [make_url(u).database for u in self.urls.values()]
        try:
            asyncio.run(_pg_admin([f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names]))
        except Exception as e:
            print(f"  (cleanup: {e})")
        self.tmp.cleanup()


def token(system: System) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint_token(system.secret, SYSTEM_COORDINATOR, ttl_seconds=3600)}"
    }


def service_client(system: System, app: str, **kw: object) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=300, max_keepalive_connections=300)
    kw.setdefault("timeout", 30)
    return httpx.AsyncClient(
        base_url=system.service_url(app), headers=token(system), limits=limits, **kw
    )


def restart_postgres() -> None:
    cluster = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart", "-m", "fast"],
        check=True,
        timeout=60,
    )


def wait_for_postgres(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-q"], check=False)
        if r.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("PostgreSQL did not come back")


DEMO_LOGIN = ("demo-coordinator", "banso-demo-coordinator")
DEGRADED_NOTICE = "一部の情報を表示できません"


async def login(
    base_url: str, login_id: str = DEMO_LOGIN[0], password: str = DEMO_LOGIN[1], **kw: object
) -> httpx.AsyncClient:
    """An httpx client holding a gateway session: GET /login for the double-submit token,
    POST the form, keep the session cookie. The caller closes it."""
    c = httpx.AsyncClient(base_url=base_url, timeout=30, **kw)  # type: ignore[arg-type]
    form = await c.get("/login")
    form.raise_for_status()
    r = await c.post(
        "/login",
        data={
            "login": login_id,
            "password": password,
            "next": "/",
            "csrf_token": c.cookies.get("banso_login_csrf") or "",
        },
        follow_redirects=False,
    )
    if r.status_code != 303:
        await c.aclose()
        raise RuntimeError(f"login as {login_id} failed: {r.status_code} {r.text[:200]}")
    return c


def requests_total(metrics_text: str) -> dict[str, float]:
    """``http_requests_total`` of a /metrics body, summed per ``METHOD route``."""
    out: dict[str, float] = {}
    for line in metrics_text.splitlines():
        if not line.startswith("http_requests_total{"):
            continue
        labels, value = line[len("http_requests_total{") :].rsplit("} ", 1)
        parts = dict(p.split("=", 1) for p in labels.split('",') if "=" in p)
        key = f"{parts.get('method', '').strip(chr(34))} {parts.get('route', '').strip(chr(34))}"
        out[key] = out.get(key, 0) + float(value)
    return out


async def service_requests(system: System, app: str) -> dict[str, float]:
    async with httpx.AsyncClient(timeout=5) as c:
        r = await c.get(f"{system.service_url(app)}/metrics")
        return requests_total(r.text)
