"""Upgrade every app's database to head (or the ones named): `python -m scripts.migrate`."""

from __future__ import annotations

import argparse
import sys

from scripts.apps import DATABASES, settings_of
from services.common import migrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("services", nargs="*", help="one or more of: " + ", ".join(DATABASES))
    args = parser.parse_args(argv)
    unknown = set(args.services) - set(DATABASES)
    if unknown:
        parser.error(f"unknown service: {', '.join(sorted(unknown))}")
    for service in args.services or DATABASES:
        url = settings_of(service).database_url
        print(f"migrate {service}: {url.split('@')[-1]}", file=sys.stderr)
        migrate.upgrade(service, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
