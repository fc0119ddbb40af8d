"""Processes of the apps under measurement, read from /proc: each app is a process tree (the
serve script, and its uvicorn worker processes when ``<APP>_WORKERS`` > 1), so CPU time and
memory are taken over the whole tree."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    return text.rsplit(")", 1)[1].split()


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks after boot): with the pid, its identity, so that
    a pid reused by another process is never mistaken for one of ours."""
    fields = _stat(pid)
    return int(fields[19]) if fields else None


def identities(pids: list[int]) -> list[tuple[int, int]]:
    return [(p, t) for p in pids if (t := start_time(p)) is not None]


def kill_if_same(idents: list[tuple[int, int]], sig: int) -> int:
    """Signal each (pid, start time) that is still the same process; how many were."""
    n = 0
    for pid, started in idents:
        if start_time(pid) == started:
            try:
                os.kill(pid, sig)
                n += 1
            except ProcessLookupError:
                pass
    return n


def parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def children_map() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        ppid = parent_of(int(entry.name))
        if ppid is not None:
            out.setdefault(ppid, []).append(int(entry.name))
    return out


def tree(root: int, kids: dict[int, list[int]] | None = None) -> list[int]:
    """``root`` and every process below it that is alive now."""
    kids = children_map() if kids is None else kids
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        if _stat(pid) is None:
            continue
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (its own threads; reaped children are left out:
    the apps' workers are alive and counted themselves)."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def tree_cpu_seconds(root: int, kids: dict[int, list[int]] | None = None) -> float:
    return sum(cpu_seconds(p) for p in tree(root, kids))


def _status_kb(pid: int, key: str) -> int | None:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    for line in lines:
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


@dataclass
class Memory:
    pid: int
    role: str  # "main" (the serve script / uvicorn supervisor) or "worker"
    rss_mb: float  # resident now
    peak_mb: float  # VmHWM: the highest resident size the process ever had

    def as_dict(self) -> dict[str, object]:
        return {"pid": self.pid, "role": self.role, "rss_mb": self.rss_mb, "peak_mb": self.peak_mb}


def tree_memory(root: int, kids: dict[int, list[int]] | None = None) -> list[Memory]:
    """Resident memory of every process of the tree (each process is its own figure: the goal
    is per process)."""
    out = []
    for pid in tree(root, kids):
        rss, hwm = _status_kb(pid, "VmRSS"), _status_kb(pid, "VmHWM")
        if rss is None or hwm is None:
            continue
        role = "main" if pid == root else worker_role(pid)
        out.append(Memory(pid, role, round(rss / 1024, 1), round(hwm / 1024, 1)))
    return out


def worker_role(pid: int) -> str:
    cmd = cmdline(pid)
    if "resource_tracker" in cmd:
        return "resource tracker"
    return "worker"


def workers(root: int, kids: dict[int, list[int]] | None = None) -> int:
    """Processes that serve requests: the root alone, or its uvicorn workers when it
    supervises some (``multiprocessing`` spawn children other than the resource tracker)."""
    kids = children_map() if kids is None else kids
    served = [p for p in tree(root, kids) if p != root and worker_role(p) == "worker"]
    return len(served) or 1


def find_app_roots(supervisor: int, apps: tuple[str, ...]) -> dict[str, int]:
    """Under a supervisor process (``scripts.supervise``), the serve process of each app."""
    kids = children_map()
    found: dict[str, int] = {}
    for pid in tree(supervisor, kids):
        words = cmdline(pid).split()
        if words and "python" in Path(words[0]).name and "scripts.serve" in words:
            i = words.index("scripts.serve")
            if i + 1 < len(words) and words[i + 1] in apps:
                found.setdefault(words[i + 1], pid)
    return found
