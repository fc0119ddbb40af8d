"""Start one app with uvicorn on its configured host and port: `python -m scripts.serve gateway`."""

from __future__ import annotations

import argparse

import uvicorn

from scripts.apps import APPS, app_path, settings_of


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=APPS)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    settings = settings_of(args.app)
    uvicorn.run(
        app_path(args.app),
        host=settings.host,
        port=settings.port,
        workers=args.workers,
        log_config=None,  # the app configures JSON logging itself
        access_log=False,  # the app writes one access line per request
        proxy_headers=True,
        server_header=False,
    )


if __name__ == "__main__":
    main()
