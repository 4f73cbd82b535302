"""The `appliance` command line: init, serve and account management."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from appliance.accounts import ACCOUNT_KINDS
from appliance.cli import backup as backup_cli
from appliance.cli import dns as dns_cli
from appliance.cli import lifecycle as lifecycle_cli
from appliance.cli import queue as queue_cli
from appliance.cli import quota as quota_cli
from appliance.cli.directory import add_parser as add_directory_parser
from appliance.cli.directory import run_directory
from appliance.config import Settings, load_settings
from appliance.core import Core
from appliance.demo import create_centre_admin, load_demo
from appliance.dkim_keys import key_path, make_key
from appliance.errors import ApplianceError
from appliance.logging_setup import configure_logging
from appliance.password_policy import require_valid
from appliance.passwords import generate_password
from appliance.tls import make_self_signed

CONFIG_TEMPLATE = """\
# Settings of this appliance. Every key can also be set by an environment variable
# APPLIANCE_<KEY>, e.g. APPLIANCE_SMTP_PORT=25; docs/configuration.md lists them all.
domain = "{domain}"
hostname = "{hostname}"
web_host = "{web_host}"
# listen = "127.0.0.1"
# smtp_port = 2525
# submission_port = 2587
# submissions_port = 2465
# imap_port = 1143
# imaps_port = 1993
# http_port = 8080
# https_port = 8443
# admin_port = 8081
"""

# Added by `init --demo`: a demonstration stays on its machine.
DEMO_SETTINGS = """
# Demonstration: no DNS query leaves this machine (SPF, DKIM and DMARC find no records, and
# mail to other domains waits in the queue for a route). Remove this for a real deployment.
dns_lookups = false
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="appliance", description="Huế official mail appliance")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("APPLIANCE_DATA", "./var")),
        help="data folder (default: $APPLIANCE_DATA or ./var)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="create the data folder, certificate and database")
    init.add_argument("--demo", action="store_true", help="also create the demo accounts")
    commands.add_parser("serve", help="run every service until SIGTERM")
    account = commands.add_parser("account", help="manage accounts").add_subparsers(
        dest="account_command", required=True
    )
    add = account.add_parser("add", help="create an account")
    add.add_argument("address")
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--kind", default="personal", choices=ACCOUNT_KINDS)
    add.add_argument(
        "--generate", action="store_true", help="generate a password and print it once"
    )
    account.add_parser("list", help="list accounts")
    passwd = account.add_parser("passwd", help="set an account's password")
    passwd.add_argument("address")
    passwd.add_argument(
        "--generate", action="store_true", help="generate a password and print it once"
    )
    add_directory_parser(commands)
    lifecycle_cli.add_parser(commands)
    dns_cli.add_parser(commands)
    queue_cli.add_parser(commands)
    quota_cli.add_parser(commands)
    backup_cli.add_parser(commands)
    return parser


def read_password(generate: bool) -> str | None:
    """Return the password on standard input, or None when one is to be generated.

    A password is generated when asked, or when standard input is a terminal.
    """
    if generate or sys.stdin.isatty():
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise SystemExit("error: no password on standard input (or pass --generate)")
    return line


async def with_core(settings: Settings, action: Callable[[Core], Awaitable[int]]) -> int:
    core = await Core.open(settings)
    try:
        return await action(core)
    finally:
        await core.close()


async def run_init(settings: Settings, demo: bool) -> int:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config_file = settings.data_dir / "appliance.toml"
    if not config_file.exists():
        config_file.write_text(
            CONFIG_TEMPLATE.format(
                domain=settings.domain, hostname=settings.hostname, web_host=settings.web_host
            )
            + (DEMO_SETTINGS if demo else ""),
            encoding="utf-8",
        )
    if not settings.cert_file.exists():
        make_self_signed(settings.cert_file, settings.key_file, settings.hostname)
        print(f"made a self-signed certificate: {settings.cert_file}")
    if not key_path(settings.data_dir).exists():
        make_key(key_path(settings.data_dir))
        print(
            f"made a DKIM key; publish its record (see `appliance dns`): {settings.dkim_selector}"
        )

    async def action(core: Core) -> int:
        units = await core.directory.load_units()
        if units:
            print(f"directory: created {units} units from the city's units file")
        admin = await create_centre_admin(core)
        if admin is not None:
            print("operations centre admin (password shown only now; change it at first login):")
            print(f"  {admin[0]}  {admin[1]}")
        if demo:
            created = await load_demo(core)
            if created:
                print("demo accounts (passwords are shown only now):")
                for address, password in created:
                    print(f"  {address}  {password}")
        print(f"data folder ready: {settings.data_dir}")
        return 0

    return await with_core(settings, action)


async def run_account(settings: Settings, args: argparse.Namespace) -> int:
    async def action(core: Core) -> int:
        if args.account_command == "list":
            for account in await core.accounts.list():
                print(f"{account.address}\t{account.kind}\t{account.state}\t{account.display_name}")
            return 0
        if args.account_command == "add":
            return await add_account(core, args)
        return await change_password(core, args)

    return await with_core(settings, action)


async def add_account(core: Core, args: argparse.Namespace) -> int:
    """Create an account. Its password, typed or generated, must be changed at first login.

    A typed password must pass the rules for the account's kind.
    """
    address = core.accounts.check_address(args.address)
    password = read_password(args.generate)
    if password is not None:
        require_valid(password, args.kind, address)
    shown = password or generate_password()
    account = await core.accounts.create(
        address, shown, display_name=args.name, kind=args.kind, must_change_password=True
    )
    print(f"created {account.address}")
    if password is None:
        print(f"password (shown only now): {shown}")
    return 0


async def change_password(core: Core, args: argparse.Namespace) -> int:
    """Set an account's password as an admin reset: rules, history, change at first login."""
    account = await core.accounts.get(args.address)
    password = read_password(args.generate)
    admin = lifecycle_cli.operator()
    if password is None:
        shown = await core.credentials.reset_password(account.id, admin, "cli")
        print(f"password changed for {account.address}")
        print(f"password (shown only now): {shown}")
    else:
        await core.credentials.set_password_by_admin(account.id, password, admin, "cli")
        print(f"password changed for {account.address}")
    return 0


async def run_serve(settings: Settings) -> int:
    from appliance.cli.serve import serve

    if not (settings.data_dir / "appliance.toml").exists():
        raise SystemExit(
            f"error: {settings.data_dir} is not initialised; run `appliance init` first"
        )
    core = await Core.open(settings)
    await serve(core)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(args.data.resolve())
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command == "init":
            return asyncio.run(run_init(settings, args.demo))
        if args.command == "serve":
            return asyncio.run(run_serve(settings))
        if args.command in backup_cli.COMMANDS:
            return asyncio.run(backup_cli.run(settings, args))
        if args.command in quota_cli.COMMANDS:
            return asyncio.run(with_core(settings, lambda core: quota_cli.run(core, args)))
        if args.command in dns_cli.COMMANDS:
            return dns_cli.run(settings, args)
        if args.command in queue_cli.COMMANDS:
            return asyncio.run(queue_cli.run_queue(settings, args))
        if args.command == "directory":
            return asyncio.run(with_core(settings, lambda core: run_directory(core, args)))
        if args.command in lifecycle_cli.COMMANDS:
            run = lifecycle_cli.run_lifecycle
            return asyncio.run(with_core(settings, lambda core: run(core, args)))
        return asyncio.run(run_account(settings, args))
    except ApplianceError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
