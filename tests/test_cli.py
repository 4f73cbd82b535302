"""The `appliance` command line, run as operators run it: a real process per command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.config import load_settings

APPLIANCE = [sys.executable, "-m", "appliance"]


def run(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*APPLIANCE, "--data", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_init_makes_data_folder_and_demo(tmp_path: Path) -> None:
    data = tmp_path / "var"
    result = run(data, "init", "--demo")
    assert result.returncode == 0, result.stderr
    assert (data / "appliance.toml").exists()
    assert (data / "tls" / "cert.pem").exists()
    assert (data / "tls" / "key.pem").stat().st_mode & 0o777 == 0o600
    assert "nvan.skhcn@hue.gov.vn" in result.stdout
    again = run(data, "init", "--demo")
    assert again.returncode == 0
    assert "nvan.skhcn@hue.gov.vn" not in again.stdout
    # A demonstration sends no DNS query off the machine; a real installation does.
    assert load_settings(data, environ={}).dns_lookups is False
    assert run(tmp_path / "real", "init").returncode == 0
    assert load_settings(tmp_path / "real", environ={}).dns_lookups is True


def test_account_add_list_passwd(tmp_path: Path) -> None:
    data = tmp_path / "var"
    assert run(data, "init").returncode == 0
    added = run(
        data,
        "account",
        "add",
        "LTHOA.vyda@hue.gov.vn",
        "--name",
        "Lê Thị Hoa",
        stdin="Mật-khẩu-2026!\n",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout == "created lthoa.vyda@hue.gov.vn\n"
    listed = run(data, "account", "list")
    # init also made the mailboxes of the city's units; the new one is listed among them.
    assert "lthoa.vyda@hue.gov.vn\tpersonal\tactive\tLê Thị Hoa" in listed.stdout.splitlines()
    changed = run(data, "account", "passwd", "lthoa.vyda@hue.gov.vn", "--generate")
    assert changed.returncode == 0
    assert changed.stdout.startswith(
        "password changed for lthoa.vyda@hue.gov.vn\npassword (shown only now): "
    )


def test_account_add_twice_fails_cleanly(tmp_path: Path) -> None:
    data = tmp_path / "var"
    run(data, "init")
    run(data, "account", "add", "a@hue.gov.vn", stdin="Mật-khẩu-2026!\n")
    again = run(data, "account", "add", "a@hue.gov.vn", stdin="Mật-khẩu-2026!\n")
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1] == "error: Account already exists: a@hue.gov.vn"


def test_account_add_foreign_domain_rejected(tmp_path: Path) -> None:
    data = tmp_path / "var"
    run(data, "init")
    result = run(data, "account", "add", "a@gmail.com", stdin="Mật-khẩu-2026!\n")
    assert result.returncode == 1
    assert "'gmail.com' is not a domain served here" in result.stderr


def test_serve_refuses_uninitialised_folder(tmp_path: Path) -> None:
    result = run(tmp_path / "empty", "serve")
    assert result.returncode != 0
    assert "is not initialised" in result.stderr


@pytest.mark.timeout(90)
def test_serve_stops_on_sigterm(tmp_path: Path) -> None:
    data = tmp_path / "var"
    run(data, "init")
    names = ["SMTP", "SUBMISSION", "SUBMISSIONS", "IMAP", "IMAPS", "HTTP", "HTTPS", "ADMIN"]
    ports = free_ports(len(names))
    env = {
        **os.environ,
        **{f"APPLIANCE_{n}_PORT": str(p) for n, p in zip(names, ports, strict=True)},
    }
    process = subprocess.Popen(
        [*APPLIANCE, "--data", str(data), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", ports[-1]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            process.kill()
            pytest.fail(f"the web listener never came up:\n{process.communicate()[0]}")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "stopping: finishing deliveries in flight" in output
    assert output.rstrip().endswith("stopped")


def test_init_makes_centre_admin_once(tmp_path: Path) -> None:
    data = tmp_path / "var"
    first = run(data, "init")
    assert "  quantri@hue.gov.vn  " in first.stdout
    listed = run(data, "account", "list").stdout.splitlines()
    assert "quantri@hue.gov.vn\tcentre_admin\tactive\tTrung tâm điều hành thư công vụ" in listed
    assert "quantri@hue.gov.vn" not in run(data, "init").stdout


def test_add_unit_admin(tmp_path: Path) -> None:
    data = tmp_path / "var"
    run(data, "init")
    made = run(data, "directory", "add-unit-admin", "skhcn")
    assert made.returncode == 0, made.stderr
    assert made.stdout.splitlines()[0] == "created admin.skhcn@hue.gov.vn"
    again = run(data, "directory", "add-unit-admin", "skhcn")
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1] == "error: admin.skhcn@hue.gov.vn was already issued"
