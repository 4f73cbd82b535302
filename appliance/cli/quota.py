"""`appliance quota reconcile`: recount usage from the stored messages."""

from __future__ import annotations

import argparse

from appliance.core import Core
from appliance.quota_reconcile import reconcile

COMMANDS = ("quota",)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quota = commands.add_parser("quota", help="quota usage checks").add_subparsers(
        dest="quota_command", required=True
    )
    check = quota.add_parser(
        "reconcile", help="recount every mailbox's usage and report any difference"
    )
    check.add_argument("--fix", action="store_true", help="store the recounted usage")


async def run(core: Core, args: argparse.Namespace) -> int:
    """Print each difference; exit 1 if there was any and it was not fixed."""
    differences = await reconcile(core.writer, fix=args.fix)
    for item in differences:
        print(
            f"{item.address}: recorded {item.recorded_bytes} bytes in {item.recorded_messages} "
            f"messages, counted {item.counted_bytes} bytes in {item.counted_messages}"
        )
    if not differences:
        print("usage matches the stored messages for every mailbox")
        return 0
    print("fixed" if args.fix else "not fixed; run again with --fix to store the counts")
    return 0 if args.fix else 1
