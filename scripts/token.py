"""Print an actor token valid for an hour: `make token ROLE=municipality MUNICIPALITY=131016`."""

from __future__ import annotations

import argparse
import sys

from services.common.actor import Actor, Role, mint_token
from services.common.registry import CodeError, get_registry
from services.common.settings import CommonSettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--role", default="coordinator", choices=[r.value for r in Role])
    parser.add_argument("--municipality", default=None, help="6桁の地方公共団体コード")
    parser.add_argument("--id", default=None)
    parser.add_argument("--name", default=None)
    parser.add_argument(
        "--advised",
        default="",
        help="advisor の担当区市町村コード (カンマ区切り; 受講者の連絡先の閲覧範囲)",
    )
    parser.add_argument("--ttl", type=int, default=3600, help="有効期間 (秒)")
    args = parser.parse_args(argv)
    if args.municipality:
        try:
            get_registry().require(args.municipality)
        except CodeError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.advised and args.role != "advisor":
        print("error: --advised は ROLE=advisor にだけ指定できます", file=sys.stderr)
        return 2
    if args.role == "municipality" and not args.municipality:
        print("error: ROLE=municipality には MUNICIPALITY=<コード> が必要です", file=sys.stderr)
        return 2
    try:
        actor = Actor(
            id=args.id or f"ops-{args.role}",
            name=args.name or f"運用 ({args.role})",
            role=Role(args.role),
            municipality_code=args.municipality,
            advised=tuple(c.strip() for c in args.advised.split(",") if c.strip()),
        )
    except ValueError:
        print(
            "error: --advised は 6桁の地方公共団体コードをカンマ区切りで指定してください",
            file=sys.stderr,
        )
        return 2
    print(mint_token(CommonSettings().token_secret, actor, ttl_seconds=args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
