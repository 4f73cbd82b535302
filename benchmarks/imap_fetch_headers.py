"""Time an IMAP header listing: FETCH 1:N (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS ...]).

This is the request a mail client sends to fill its message list. The script starts an
appliance on 127.0.0.1 (ports picked by the kernel) in a temporary folder, stores N
messages of about 2 KB in one INBOX, then times the FETCH with imaplib over IMAPS several
times and prints each run and the median.

    .venv/bin/python benchmarks/imap_fetch_headers.py --messages 1000 --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import RunningAppliance, running_appliance

ADDRESS = "bench.imap@hue.gov.vn"
PASSWORD = "Bench-Imap-2026!x"
COMMAND = "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From To Subject Date)])"


def message(number: int) -> bytes:
    body = f"Nội dung công văn số {number}. " * 60
    return (
        f"From: =?UTF-8?Q?Ph=C3=B2ng_H=C3=A0nh_ch=C3=ADnh?= <hanhchinh@hue.gov.vn>\r\n"
        f"To: {ADDRESS}\r\n"
        f"Subject: =?UTF-8?Q?C=C3=B4ng_v=C4=83n_s=E1=BB=91_{number}?=\r\n"
        f"Date: Fri, 04 Dec 2026 08:{number % 60:02d}:00 +0700\r\n"
        f"Message-ID: <bench-{number}@hue.gov.vn>\r\n"
        f"MIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    ).encode()


def fill(appliance: RunningAppliance, count: int) -> None:
    account = appliance.add_account(ADDRESS, PASSWORD)

    async def store_batch(start: int, stop: int) -> None:
        await asyncio.gather(
            *(
                appliance.core.store.append(account.id, "INBOX", message(number))
                for number in range(start, stop)
            )
        )

    for start in range(0, count, 100):
        appliance.call(lambda start=start: store_batch(start, min(start + 100, count)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages in INBOX")
    parser.add_argument("--runs", type=int, default=5, help="timed FETCH commands")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, running_appliance(Path(folder)) as appliance:
        fill(appliance, args.messages)
        client = imaplib.IMAP4_SSL(
            "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls()
        )
        client.login(ADDRESS, PASSWORD)
        client.select("INBOX", readonly=True)
        timings = []
        for run in range(args.runs):
            started = time.perf_counter()
            status, data = client.fetch(f"1:{args.messages}", COMMAND)
            elapsed = time.perf_counter() - started
            assert status == "OK" and len(data) == 2 * args.messages, (status, len(data))
            timings.append(elapsed)
            print(f"run {run + 1}: {elapsed * 1000:.0f} ms")
        client.logout()
    median = statistics.median(timings)
    print(
        f"FETCH 1:{args.messages} {COMMAND}: median {median * 1000:.0f} ms, "
        f"{args.messages / median:.0f} messages/s"
    )


if __name__ == "__main__":
    main()
