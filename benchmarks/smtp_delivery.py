"""Durable SMTP delivery throughput of a real `appliance serve` process.

Creates a fresh data folder with one account, starts `appliance serve` with every
listener on a port the kernel picks (127.0.0.1 only), and has concurrent smtplib clients
deliver messages of about 5 KB over plain SMTP to the MX port. Every message counted was
answered 250, which the server sends only once the message is durable. Prints messages per
second; with --smtp-source also runs Postfix's load generator against the same server.

    .venv/bin/python benchmarks/smtp_delivery.py --messages 2000 --clients 10
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ADDRESS = "nvan.skhcn@hue.gov.vn"
PASSWORD = "Benchmark-2026!durable"
LISTENING = re.compile(r"listening service=smtp address=\S+ port=(\d+)")
PORT_SETTINGS = ("SMTP", "SUBMISSION", "SUBMISSIONS", "IMAP", "IMAPS", "HTTP", "HTTPS", "ADMIN")


def appliance(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "appliance", "--data", str(data_dir), *args]


def environment() -> dict[str, str]:
    values = dict(os.environ)
    values.update({f"APPLIANCE_{name}_PORT": "0" for name in PORT_SETTINGS})
    values["APPLIANCE_LISTEN"] = "127.0.0.1"
    # The MX checks (SPF, DKIM, DMARC) would query DNS for every message: keep the load
    # on this host and the figures free of DNS latency.
    values["APPLIANCE_DNS_LOOKUPS"] = "false"
    return values


def prepare(data_dir: Path) -> None:
    """Create the data folder and the one account every message goes to."""
    subprocess.run(appliance(data_dir, "init"), check=True, capture_output=True, env=environment())
    subprocess.run(
        appliance(data_dir, "account", "add", ADDRESS),
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
        env=environment(),
    )


@contextmanager
def server(data_dir: Path) -> Iterator[tuple[int, int]]:
    """Run `appliance serve`; yield its process id and MX port."""
    log_file = data_dir.parent / "serve.log"
    with log_file.open("wb") as log:
        # At the default level, INFO, as deployed: the port is read from the log.
        process = subprocess.Popen(
            appliance(data_dir, "serve"), stdout=log, stderr=log, env=environment()
        )
    try:
        yield process.pid, wait_for_port(process, log_file)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def wait_for_port(process: subprocess.Popen[bytes], log_file: Path) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = LISTENING.findall(log_file.read_text(errors="replace"))
        if found:
            return int(found[-1])
        if process.poll() is not None:
            raise SystemExit(f"appliance serve exited:\n{log_file.read_text(errors='replace')}")
        time.sleep(0.05)
    raise SystemExit("appliance serve did not listen within 60 s")


def cpu_seconds(pid: int) -> float:
    """Return the CPU time (user + system, every thread) a process has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(tool: str, done: int, seconds: float, cpu: float, args: argparse.Namespace) -> None:
    print(
        f"{tool}: {done} messages of {args.size} bytes, {args.clients} clients, "
        f"{seconds:.2f} s, {done / seconds:.0f} messages/s, "
        f"server CPU {cpu * 1000 / done:.1f} ms per message"
    )


def message(number: int, size: int) -> bytes:
    header = (
        f"From: load@example.org\r\nTo: {ADDRESS}\r\nSubject: benchmark {number}\r\n"
        f"Message-ID: <bench-{number}@example.org>\r\n\r\n"
    ).encode()
    line = b"Noi dung van ban thu nghiem cua thanh pho Hue, dong du lieu mau.\r\n"
    return header + line * max(1, (size - len(header)) // len(line))


def run_smtplib(port: int, messages: int, clients: int, size: int) -> tuple[int, float]:
    """Deliver `messages` from `clients` threads; return (acknowledged, seconds)."""
    counts = [0] * clients
    share = [
        messages // clients + (1 if index < messages % clients else 0) for index in range(clients)
    ]

    def send(index: int) -> None:
        client = smtplib.SMTP("127.0.0.1", port, local_hostname="bench.example", timeout=60)
        for number in range(share[index]):
            client.sendmail("load@example.org", [ADDRESS], message(number, size))
            counts[index] += 1
        client.quit()

    threads = [threading.Thread(target=send, args=(index,)) for index in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - start


def run_smtp_source(port: int, messages: int, clients: int, size: int) -> float:
    """Run Postfix's smtp-source against 127.0.0.1; return the seconds it took."""
    command = [
        "smtp-source", "-s", str(clients), "-m", str(messages), "-l", str(size),
        "-f", "load@example.org", "-t", ADDRESS, f"127.0.0.1:{port}",
    ]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="messages to deliver")
    parser.add_argument("--clients", type=int, default=10, help="concurrent SMTP connections")
    parser.add_argument("--size", type=int, default=5000, help="message size in bytes")
    parser.add_argument(
        "--smtp-source", action="store_true", help="also measure with Postfix's smtp-source"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smtp-bench-") as folder:
        data_dir = Path(folder) / "data"
        prepare(data_dir)
        with server(data_dir) as (pid, port):
            before = cpu_seconds(pid)
            done, seconds = run_smtplib(port, args.messages, args.clients, args.size)
            report("smtplib", done, seconds, cpu_seconds(pid) - before, args)
            if args.smtp_source:
                if shutil.which("smtp-source") is None:
                    raise SystemExit("smtp-source not found (Debian package postfix)")
                before = cpu_seconds(pid)
                seconds = run_smtp_source(port, args.messages, args.clients, args.size)
                report("smtp-source", args.messages, seconds, cpu_seconds(pid) - before, args)


if __name__ == "__main__":
    main()
