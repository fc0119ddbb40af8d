"""`python -m drills [--short]`: run every drill, print what each did and checked, exit 1 on
any failed check."""

from __future__ import annotations

import argparse
import importlib
import sys

DRILLS = ["drills.training"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--short", action="store_true", help="the quicker set CI runs")
    parser.add_argument("--only", action="append", help="run only these drill modules")
    args = parser.parse_args()
    reports = []
    for name in args.only or DRILLS:
        reports += importlib.import_module(name if "." in name else f"drills.{name}").run(
            short=args.short
        )
    failed = [r for r in reports if not r.ok]
    print("\n== summary")
    for r in reports:
        print(f"  {'OK' if r.ok else 'NG'}  {r.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
