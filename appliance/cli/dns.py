"""`appliance dns`: print the DNS records to publish for this appliance."""

from __future__ import annotations

import argparse

from appliance.config import Settings
from appliance.dns_records import mta_sts_policy, records

COMMANDS = ("dns",)


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dns = commands.add_parser("dns", help="print the DNS records to publish (zone-file lines)")
    dns.add_argument(
        "--mta-sts-policy", action="store_true", help="print the MTA-STS policy file instead"
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.mta_sts_policy:
        print(mta_sts_policy(settings), end="")
        return 0
    for line in records(settings):
        print(line)
    return 0
