"""`make run`'s supervisor (scripts/supervise.py): the four apps on 127.0.0.1 under it; one app
killed; the others keep answering, the gateway's page shows the notice meanwhile, and the
killed app answers again after its restart. Ctrl-C (SIGINT) then stops every app."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from tests.e2e.system import ROOT, System

NOTICE = "のサービスが応答しないため"


def until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``check`` until it holds (a bound against hanging, not a speed measure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"not seen within {timeout} s: {what}")


def app_pid(sup: psutil.Process, app: str) -> int | None:
    for child in sup.children():
        try:
            if child.cmdline()[-2:] == ["scripts.serve", app]:
                return child.pid
        except psutil.NoSuchProcess:
            continue
    return None


def healthy(system: System, app: str) -> bool:
    return httpx.get(f"{system.service_url(app)}/healthz", timeout=2).status_code == 200


def logged_in(system: System) -> httpx.Client:
    c = httpx.Client(base_url=system.url, timeout=10)
    form = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    r = c.post(
        "/login",
        data={
            "login": "demo-coordinator",
            "password": "banso-demo-coordinator",  # demo-only (scripts/demo_users.py)
            "csrf_token": token.group(1),
        },
    )
    assert r.status_code == 303, r.text
    return c


def test_a_crashed_app_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    cheap = {
        "GATEWAY_PASSWORD_TIME_COST": "1",
        "GATEWAY_PASSWORD_MEMORY_KIB": "1024",
        "GATEWAY_PASSWORD_PARALLELISM": "1",
    }
    system = System(tmp_path, demo=False, extra_env=cheap)
    system.prepare()  # migrations and the demo users, on SQLite files in tmp_path
    env = {
        **system.env,
        "BANSO_SUPERVISE_BACKOFF": "1",
        "GATEWAY_CIRCUIT_COOLDOWN_SECONDS": "0.5",
    }
    log = open(tmp_path / "supervise.log", "wb")
    sup = subprocess.Popen(
        [sys.executable, "-m", "scripts.supervise"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    proc = psutil.Process(sup.pid)
    try:
        for app in ("indicators", "support_cases", "training", "gateway"):
            until(lambda app=app: healthy(system, app), f"{app} answers")
        browser = logged_in(system)
        until(lambda: NOTICE not in browser.get("/").text, "the dashboard without the notice")

        killed = app_pid(proc, "indicators")
        assert killed is not None
        os.kill(killed, signal.SIGKILL)
        until(lambda: not _alive(killed), "the killed process gone", timeout=10)

        # Meanwhile: the other apps answer and the page shows the notice naming the part.
        page = browser.get("/")
        assert page.status_code == 200
        assert NOTICE in page.text and "評価指標" in page.text, page.text[:2000]
        for app in ("support_cases", "training", "gateway"):
            assert healthy(system, app), app

        until(lambda: healthy(system, "indicators"), "indicators answers again")
        restarted = app_pid(proc, "indicators")
        assert restarted not in (None, killed)
        until(lambda: NOTICE not in browser.get("/").text, "the dashboard whole again")
        browser.close()
    finally:
        apps = [c.pid for c in proc.children(recursive=True)]
        if sup.poll() is None:
            sup.send_signal(signal.SIGINT)
            try:
                sup.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for child in proc.children(recursive=True):
                    child.kill()
                sup.kill()
                sup.wait(timeout=10)
        log.close()
    out = (tmp_path / "supervise.log").read_text(encoding="utf-8", errors="replace")
    assert sup.returncode == 0, out[-3000:]
    assert "indicators exited (code -9); the other apps keep running" in out, out[-3000:]
    # Ctrl-C stopped every app: nothing of the supervisor's is left running.
    assert not [p for p in apps if psutil.pid_exists(p) and _alive(p)], out[-3000:]
    for app in ("indicators", "support_cases", "training", "gateway"):
        try:
            healthy(system, app)
            raise AssertionError(f"{app} still answers after Ctrl-C")
        except httpx.HTTPError:
            pass


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
