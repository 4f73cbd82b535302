"""Durable delivery through the core alone, without SMTP: rate and CPU per message.

Opens a core on a fresh data folder with one account, then runs concurrent loops that
each check the recipient (as SMTP does at RCPT TO) and deliver a message of about 5 KB,
as the MX listener would. `deliver` returns only once the blob and the rows are durable.
Prints deliveries per second and the CPU time of the whole process per delivery (every
thread included, from getrusage).

    .venv/bin/python benchmarks/core_delivery.py --messages 2000 --clients 10
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from appliance.config import Settings
from appliance.core import Core

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Benchmark-2026!durable"


def message(number: int, size: int) -> bytes:
    header = (
        f"From: load@example.org\r\nTo: {ADDRESS}\r\nSubject: benchmark {number}\r\n"
        f"Message-ID: <core-{number}@example.org>\r\n\r\n"
    ).encode()
    line = b"Noi dung van ban thu nghiem cua thanh pho Hue, dong du lieu mau.\r\n"
    return header + line * max(1, (size - len(header)) // len(line))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run(messages: int, clients: int, size: int) -> None:
    with tempfile.TemporaryDirectory(prefix="core-bench-") as folder:
        core = await Core.open(Settings(data_dir=Path(folder) / "data"))
        try:
            await core.accounts.create(ADDRESS, PASSWORD)
            share = [messages // clients + (i < messages % clients) for i in range(clients)]

            async def client(count: int) -> None:
                for number in range(count):
                    await core.delivery.check_recipient(ADDRESS, may_relay=False)
                    await core.delivery.deliver(
                        message(number, size), "load@example.org", [ADDRESS]
                    )

            started, cpu = time.perf_counter(), cpu_seconds()
            await asyncio.gather(*(client(count) for count in share))
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
            await core.delivery.drain()
        finally:
            await core.close()
    print(
        f"core: {messages} messages of {size} bytes, {clients} clients, {seconds:.2f} s, "
        f"{messages / seconds:.0f} messages/s, CPU {cpu * 1000 / messages:.1f} ms per message"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages to deliver")
    parser.add_argument("--clients", type=int, default=10, help="concurrent delivery loops")
    parser.add_argument("--size", type=int, default=5000, help="message size in bytes")
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.clients, args.size))


if __name__ == "__main__":
    main()
