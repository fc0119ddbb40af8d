"""Start one app with uvicorn on its configured host and port: `python -m scripts.serve gateway`.

Worker processes: ``--workers N``, else ``<APP>_WORKERS`` (``GATEWAY_WORKERS``,
``INDICATORS_WORKERS``, ``SUPPORT_CASES_WORKERS``, ``TRAINING_WORKERS``), else 1. ``auto`` means
one per CPU core. Every process serves the same stored rows (the database is the only state),
so answers are the same whichever process takes a request.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

import uvicorn

from scripts.apps import APPS, app_path, settings_of


def env_name(app: str) -> str:
    return f"{app.upper()}_WORKERS"


def workers_of(app: str, env: Mapping[str, str] | None = None) -> int:
    """Worker processes for ``app`` from ``<APP>_WORKERS`` (a number ≥ 1, or ``auto``)."""
    env = os.environ if env is None else env
    raw = env.get(env_name(app), "").strip().lower()
    if not raw:
        return 1
    if raw == "auto":
        return max(1, os.cpu_count() or 1)
    if not raw.isdigit() or int(raw) < 1:
        raise SystemExit(
            f"{env_name(app)}={raw!r}: give a number of worker processes (1 or more) or 'auto'"
        )
    return int(raw)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=APPS)
    parser.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: <APP>_WORKERS or 1)"
    )
    args = parser.parse_args(argv)
    settings = settings_of(args.app)
    workers = args.workers if args.workers is not None else workers_of(args.app)
    os.environ["BANSO_GC_FREEZE"] = "1"  # a served process (services/common/app.py)
    uvicorn.run(
        app_path(args.app),
        host=settings.host,
        port=settings.port,
        workers=workers,
        log_config=None,  # the app configures JSON logging itself
        access_log=False,  # the app writes one access line per request
        # The gateway reads X-Forwarded-* itself, from GATEWAY_FORWARDED_ALLOW_IPS only
        # (gateway/main.py); the services are called by the gateway alone.
        proxy_headers=args.app != "gateway",
        server_header=False,
    )


if __name__ == "__main__":
    main()
