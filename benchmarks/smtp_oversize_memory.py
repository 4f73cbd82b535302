"""Peak memory of a real `appliance serve` process while it refuses a 200 MB DATA stream.

Starts the server the way `smtp_delivery.py` does, reads its resident memory (VmRSS) before,
streams 200 MB of DATA over plain SMTP to the MX port in 64 KiB writes, and reads the
process's high-water mark (VmHWM) after the `552 5.3.4` reply. The server must discard
what passes the 50 MB limit as it arrives, so the high-water mark should stay near the
starting size plus the limit-bounded buffers, not grow by 200 MB.

    .venv/bin/python benchmarks/smtp_oversize_memory.py --megabytes 200
"""

from __future__ import annotations

import argparse
import socket
import tempfile
from pathlib import Path

from smtp_delivery import ADDRESS, prepare, server  # type: ignore[import-not-found]

CHUNK = 64 * 1024


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def command(stream: socket.socket, line: bytes) -> bytes:
    stream.sendall(line + b"\r\n")
    return read_reply(stream)


def read_reply(stream: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n") or data.split(b"\r\n")[-2][3:4] == b"-":
        data += stream.recv(4096)
    return data


def stream_data(port: int, megabytes: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=600) as stream:
        read_reply(stream)
        command(stream, b"EHLO bench.example")
        command(stream, b"MAIL FROM:<a@example.org>")
        command(stream, f"RCPT TO:<{ADDRESS}>".encode())
        command(stream, b"DATA")
        line = b"x" * 998 + b"\r\n"
        chunk = line * (CHUNK // len(line))
        sent = 0
        stream.sendall(b"Subject: big\r\n\r\n")
        while sent < megabytes * 1024 * 1024:
            stream.sendall(chunk)
            sent += len(chunk)
        return command(stream, b".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200, help="size of the DATA stream")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder) / "data"
        prepare(data_dir)
        with server(data_dir) as (pid, port):
            before = memory_kib(pid, "VmRSS")
            reply = stream_data(port, args.megabytes)
            peak = memory_kib(pid, "VmHWM")
    print(f"reply to a {args.megabytes} MB DATA stream: {reply.decode().strip()}")
    print(f"server resident memory before: {before / 1024:.1f} MiB")
    print(f"server peak resident memory:  {peak / 1024:.1f} MiB")
    print(f"growth: {(peak - before) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
