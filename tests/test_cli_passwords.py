"""Passwords set with `appliance account`: the city's rules, no reuse, and a change at first login.

Each command runs as a real process; the logins go to a real appliance over IMAP.
"""

from __future__ import annotations

import imaplib
from pathlib import Path

import pytest

from tests.harness import running_appliance
from tests.test_cli import run

ADDRESS = "test1@hue.gov.vn"
STRONG = "Str0ng!Passw0rd#y"
OTHER_STRONG = "Kh4c!Passw0rd#z"
EXPIRED = b"[EXPIRED] The password has expired or was never changed; change it in the webmail."
TOO_SHORT = "Mật khẩu phải dài hơn 8 ký tự. / The password must be longer than 8 characters."
REUSED = (
    "Không được dùng lại mật khẩu đã dùng trước đây. / "
    "A password used before on this account cannot be used again."
)


def listed(data: Path) -> list[str]:
    return [line.split("\t")[0] for line in run(data, "account", "list").stdout.splitlines()]


def shown_password(stdout: str) -> str:
    marker = "password (shown only now): "
    line = next(line for line in stdout.splitlines() if line.startswith(marker))
    return line.removeprefix(marker)


def imap_logins(data: Path, *passwords: str) -> list[bytes]:
    """Log in over IMAP to an appliance on `data` with each password; b"OK" or the NO text."""
    replies = []
    with running_appliance(data) as appliance:
        for password in passwords:
            client = imaplib.IMAP4_SSL(
                "127.0.0.1",
                appliance.ports["imaps"],
                ssl_context=appliance.client_tls(),
                timeout=30,
            )
            try:
                client.login(ADDRESS, password)
                replies.append(b"OK")
            except imaplib.IMAP4.error as error:
                replies.append(bytes(error.args[0]))
            finally:
                client.shutdown()
    return replies


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "var"
    assert run(folder, "init").returncode == 0
    return folder


@pytest.mark.parametrize(
    ("password", "rules"),
    [
        ("Weak1!", [TOO_SHORT]),
        (
            "abc",
            [
                TOO_SHORT,
                "Mật khẩu phải có ít nhất một chữ hoa. / "
                "The password must contain an upper-case letter.",
                "Mật khẩu phải có ít nhất một chữ số. / The password must contain a digit.",
                "Mật khẩu phải có ít nhất một ký tự đặc biệt (ví dụ ! @ # %). / "
                "The password must contain a special character (for example ! @ # %).",
            ],
        ),
        (
            "Test1-Password!",
            [
                "Mật khẩu không được chứa tên hộp thư. / "
                "The password must not contain the mailbox name."
            ],
        ),
    ],
)
def test_add_rejects_weak_password(data: Path, password: str, rules: list[str]) -> None:
    result = run(data, "account", "add", ADDRESS, stdin=f"{password}\n")

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == "error: " + " ".join(rules)
    assert ADDRESS not in listed(data)


def test_admin_kind_needs_thirteen_characters(data: Path) -> None:
    result = run(
        data, "account", "add", "ql@hue.gov.vn", "--kind", "unit_admin", stdin="Abcdef-12345\n"
    )

    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "error: Mật khẩu phải dài hơn 12 ký tự. / The password must be longer than 12 characters."
    )
    assert "ql@hue.gov.vn" not in listed(data)


def test_passwd_rejects_weak_and_reused(data: Path) -> None:
    assert run(data, "account", "add", ADDRESS, stdin=f"{STRONG}\n").returncode == 0

    weak = run(data, "account", "passwd", ADDRESS, stdin="test1\n")
    same = run(data, "account", "passwd", ADDRESS, stdin=f"{STRONG}\n")
    changed = run(data, "account", "passwd", ADDRESS, stdin=f"{OTHER_STRONG}\n")
    back = run(data, "account", "passwd", ADDRESS, stdin=f"{STRONG}\n")

    assert weak.returncode == 1
    assert weak.stderr.splitlines()[-1].startswith("error: " + TOO_SHORT)
    assert "The password must not contain the mailbox name." in weak.stderr
    assert same.returncode == 1
    assert same.stderr.splitlines()[-1] == "error: " + REUSED
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout == f"password changed for {ADDRESS}\n"
    assert back.returncode == 1
    assert back.stderr.splitlines()[-1] == "error: " + REUSED
    assert imap_logins(data, OTHER_STRONG) == [EXPIRED]


def test_generated_password_must_be_changed(data: Path) -> None:
    added = run(data, "account", "add", ADDRESS, "--generate")
    assert added.returncode == 0, added.stderr

    assert imap_logins(data, shown_password(added.stdout)) == [EXPIRED]


def test_reset_password_must_be_changed(data: Path) -> None:
    assert run(data, "account", "add", ADDRESS, stdin=f"{STRONG}\n").returncode == 0
    reset = run(data, "account", "passwd", ADDRESS, "--generate")
    assert reset.returncode == 0, reset.stderr

    assert imap_logins(data, STRONG, shown_password(reset.stdout)) == [
        b"[AUTHENTICATIONFAILED] Invalid user name or password",
        EXPIRED,
    ]


def test_typed_password_must_be_changed(data: Path) -> None:
    assert run(data, "account", "add", ADDRESS, stdin=f"{STRONG}\n").returncode == 0

    assert imap_logins(data, STRONG) == [EXPIRED]
