"""The Docker bundle, checked without a Docker engine.

hadolint lints the Dockerfile, `docker-compose config` validates the compose file, and the
image's entrypoint and health check run in a fresh virtual environment built the way the
Dockerfile's build stage builds it, with the environment the Dockerfile sets.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
TOOLS = Path(sys.executable).parent
PORT_SETTINGS = [
    "APPLIANCE_SMTP_PORT",
    "APPLIANCE_SUBMISSION_PORT",
    "APPLIANCE_SUBMISSIONS_PORT",
    "APPLIANCE_IMAP_PORT",
    "APPLIANCE_IMAPS_PORT",
    "APPLIANCE_HTTP_PORT",
    "APPLIANCE_HTTPS_PORT",
    "APPLIANCE_ADMIN_PORT",
]


def dockerfile_environment() -> dict[str, str]:
    """Return the ENV settings of the Dockerfile's runtime stage."""
    text = (DOCKER / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text.rsplit("\nFROM ", 1)[1]
    environment = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            for name, value in re.findall(r"(\w+)=(\S+)", line):
                environment[name] = value
    return environment


def test_hadolint_clean() -> None:
    result = subprocess.run(
        [str(TOOLS / "hadolint"), "--config", str(DOCKER / ".hadolint.yaml"), "Dockerfile"],
        cwd=DOCKER,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout + result.stderr == ""
    assert result.returncode == 0


def compose_config(*profiles: str) -> dict[str, object]:
    arguments = [str(TOOLS / "docker-compose"), "-f", str(DOCKER / "compose.yaml")]
    for profile in profiles:
        arguments += ["--profile", profile]
    result = subprocess.run(
        [*arguments, "config", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # Only this variable: the compose file reads APPLIANCE_* from the environment.
        env={"PATH": os.environ["PATH"], "POSTGRES_PASSWORD": "example"},
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, object] = json.loads(result.stdout)
    return config


def test_compose_config_without_profiles() -> None:
    config = compose_config()
    services = config["services"]
    assert isinstance(services, dict)
    assert sorted(services) == ["appliance"]
    appliance = services["appliance"]
    published = sorted(
        (port.get("host_ip", ""), int(port["published"]), port["target"])
        for port in appliance["ports"]
    )
    assert published == [
        ("", 25, 25),
        ("", 143, 143),
        ("", 443, 443),
        ("", 465, 465),
        ("", 587, 587),
        ("", 993, 993),
        ("127.0.0.1", 8444, 8444),
    ]
    targets = {volume["target"]: volume["type"] for volume in appliance["volumes"]}
    assert targets == {
        "/var/lib/appliance": "volume",
        "/etc/appliance/tls": "bind",
        "/run/clamav": "volume",
    }
    assert appliance["environment"]["APPLIANCE_DATABASE_URL"] == ""


def test_compose_config_with_profiles() -> None:
    services = compose_config("postgres", "clamav")["services"]
    assert isinstance(services, dict)
    assert sorted(services) == ["appliance", "clamav", "postgres"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "example"


def test_dockerfile_runs_as_unprivileged_user() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert re.findall(r"^FROM .*$", text, re.MULTILINE) == [
        "FROM python:3.11-slim-bookworm AS build",
        "FROM python:3.11-slim-bookworm",
    ]
    assert "\nUSER 10025:10025\n" in text
    environment = dockerfile_environment()
    assert environment["APPLIANCE_SMTP_PORT"] == "25"
    assert environment["APPLIANCE_HTTPS_PORT"] == "443"
    assert environment["APPLIANCE_ADMIN_PORT"] == "8444"


@pytest.fixture(scope="module")
def image_environment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the package installed as the build stage does."""
    work = tmp_path_factory.mktemp("image")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("appliance", "smtp", "imap", "webmail", "admin"):
        shutil.copytree(ROOT / package, source / package)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", f"{source}"],
        check=True,
        timeout=600,
        capture_output=True,
    )
    return venv


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


@pytest.fixture
def container_environment(image_environment: Path, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The Dockerfile's environment, with a data folder in tmp and free loopback ports."""
    environment = {
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        **dockerfile_environment(),
        "PATH": f"{image_environment / 'bin'}:/usr/bin:/bin",
        "APPLIANCE_DATA": str(tmp_path / "data"),
        "APPLIANCE_LISTEN": "127.0.0.1",
    }
    environment.update(zip(PORT_SETTINGS, map(str, free_ports(len(PORT_SETTINGS))), strict=True))
    yield environment


def run_healthcheck(environment: dict[str, str], venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "python"), str(DOCKER / "healthcheck.py")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def start_entrypoint(environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(DOCKER / "entrypoint.sh"), "serve"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_healthy(
    environment: dict[str, str], venv: Path, process: subprocess.Popen[str]
) -> subprocess.CompletedProcess[str]:
    deadline = time.monotonic() + 60
    while True:
        result = run_healthcheck(environment, venv)
        if result.returncode == 0 or time.monotonic() > deadline or process.poll() is not None:
            return result
        time.sleep(0.5)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=60)
    return output


@pytest.mark.timeout(900)
def test_entrypoint_first_start_then_restart(
    image_environment: Path, container_environment: dict[str, str]
) -> None:
    environment = container_environment
    down = run_healthcheck(environment, image_environment)
    assert down.returncode == 1
    assert "smtp on port" in down.stderr

    first = start_entrypoint(environment)
    try:
        healthy = wait_healthy(environment, image_environment, first)
    finally:
        output = stop(first)
    assert healthy.returncode == 0, healthy.stderr + output
    assert healthy.stderr == ""
    assert first.returncode == 0, output
    assert "first start: initialising" in output
    assert "created postmaster@hue.gov.vn" in output
    passwords = re.findall(r"^password \(shown only now\): (\S+)$", output, re.MULTILINE)
    assert len(passwords) == 1
    assert output.rstrip().endswith("stopped")

    second = start_entrypoint(environment)
    try:
        healthy_again = wait_healthy(environment, image_environment, second)
    finally:
        output_again = stop(second)
    assert healthy_again.returncode == 0, healthy_again.stderr + output_again
    assert "first start" not in output_again
    assert "password" not in output_again
