"""Virus scanning with a real clamd (Debian's clamav-daemon) on a UNIX socket in tmp.

clamd's official signature databases cannot be downloaded here, so the test writes its own
database holding one body signature: the EICAR anti-virus test file. clamd reports it as
`Eicar-Test-Signature.UNOFFICIAL` (clamd adds the suffix to signatures of its own users).
"""

from __future__ import annotations

import re
import smtplib
import subprocess
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from appliance.antivirus import ClamdClient, parse_reply
from appliance.errors import ScanFailed
from tests.backup.helpers import PASSWORD, add_accounts
from tests.harness import RunningAppliance, running_appliance
from tests.smtp.helpers import folder_messages

# The EICAR test file, in two halves so that no scanner flags this source file itself.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-" + b"ANTIVIRUS-TEST-FILE!$H+H*"
SIGNATURE = "Eicar-Test-Signature.UNOFFICIAL"
LOCAL = "nvan.skhcn@hue.gov.vn"
SENDER = "tthi.stttt@hue.gov.vn"


@pytest.fixture(scope="module")
def clamd_socket(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A clamd process whose only signature is EICAR's, listening on a socket in tmp."""
    work = tmp_path_factory.mktemp("clamd")
    database = work / "db"
    database.mkdir()
    (database / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n")
    socket_path = work / "clamd.sock"
    config = work / "clamd.conf"
    config.write_text(
        f"Foreground yes\nLocalSocket {socket_path}\nDatabaseDirectory {database}\n"
        f"TemporaryDirectory {work}\nPidFile {work / 'clamd.pid'}\nLogFile {work / 'log'}\n"
        "LogVerbose yes\n"
    )
    process = subprocess.Popen(
        ["/usr/sbin/clamd", f"--config-file={config}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not socket_path.exists():
            assert process.poll() is None, (work / "log").read_text()
            assert time.monotonic() < deadline, "clamd did not open its socket within 60 s"
            time.sleep(0.1)
        yield str(socket_path)
    finally:
        process.terminate()
        process.wait(30)


def eicar_message(sender: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = LOCAL
    message["Subject"] = "Báo cáo"
    message.set_content("Tệp đính kèm.")
    message.add_attachment(
        EICAR, maintype="application", subtype="octet-stream", filename="bao-cao.com"
    )
    return message.as_bytes().replace(b"\n", b"\r\n")


CLEAN = b"From: friend@example.org\r\nTo: nvan.skhcn@hue.gov.vn\r\nSubject: ok\r\n\r\nHi.\r\n"


@pytest.fixture
def scanning(
    tmp_path: Path, clamd_socket: str, request: pytest.FixtureRequest
) -> Iterator[RunningAppliance]:
    """A running appliance that scans with clamd; the action is "reject" unless given."""
    action = getattr(request, "param", "reject")
    with running_appliance(
        tmp_path / "data", clamd_socket=clamd_socket, antivirus_action=action
    ) as appliance:
        add_accounts(appliance, [LOCAL, SENDER])
        yield appliance


def stored(appliance: RunningAppliance, folder: str) -> list[bytes]:
    [account] = [a for a in appliance.call(appliance.core.accounts.list) if a.address == LOCAL]
    return folder_messages(appliance, account, folder)


async def test_clamd_client_verdicts(clamd_socket: str) -> None:
    client = ClamdClient(clamd_socket)
    assert await client.ping()
    clean = await client.scan(CLEAN)
    assert (clean.infected, clean.signature) == (False, "")
    infected = await client.scan(eicar_message("friend@example.org"))
    assert (infected.infected, infected.signature) == (True, SIGNATURE)


async def test_clamd_missing_socket_fails(tmp_path: Path) -> None:
    absent = str(tmp_path / "absent.sock")
    with pytest.raises(ScanFailed, match=re.escape(f"clamd at {absent} failed: ")):
        await ClamdClient(absent).scan(CLEAN)


def test_clamd_error_reply_fails() -> None:
    expected = "clamd replied 'INSTREAM size limit exceeded. ERROR'"
    with pytest.raises(ScanFailed, match=re.escape(expected)):
        parse_reply(b"INSTREAM size limit exceeded. ERROR\0")


def test_mx_rejects_infected_message(scanning: RunningAppliance) -> None:
    with smtplib.SMTP("127.0.0.1", scanning.ports["smtp"], timeout=60) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("friend@example.org", [LOCAL], eicar_message("friend@example.org"))
        client.sendmail("friend@example.org", [LOCAL], CLEAN)
    assert refused.value.smtp_code == 554
    assert refused.value.smtp_error == (
        f"5.7.1 Message rejected: virus found ({SIGNATURE})".encode()
    )
    inbox = stored(scanning, "INBOX")
    assert len(inbox) == 1
    assert inbox[0].endswith(CLEAN)


def test_submission_rejects_infected_message(scanning: RunningAppliance) -> None:
    with smtplib.SMTP("127.0.0.1", scanning.ports["submission"], timeout=60) as client:
        client.starttls(context=scanning.client_tls())
        client.login(SENDER, PASSWORD)
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail(SENDER, [LOCAL], eicar_message(SENDER))
    assert refused.value.smtp_code == 554
    assert stored(scanning, "INBOX") == []


@pytest.mark.parametrize("scanning", ["quarantine"], indirect=True)
def test_quarantine_stores_in_junk(scanning: RunningAppliance) -> None:
    infected = eicar_message("friend@example.org")
    with smtplib.SMTP("127.0.0.1", scanning.ports["smtp"], timeout=60) as client:
        client.sendmail("friend@example.org", [LOCAL], infected)
    assert stored(scanning, "INBOX") == []
    [junk] = stored(scanning, "Junk")
    # The MX's trace fields (Return-Path, Authentication-Results, Received) follow the mark.
    assert junk.startswith(
        f"X-Virus-Found: {SIGNATURE} (quarantined)\r\n"
        "Return-Path: <friend@example.org>\r\nAuthentication-Results: ".encode()
    )
    assert junk.endswith(infected)


def test_unreachable_clamd_defers_delivery(tmp_path: Path) -> None:
    with running_appliance(
        tmp_path / "data", clamd_socket=str(tmp_path / "absent.sock")
    ) as appliance:
        add_accounts(appliance, [LOCAL])
        with (
            smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=60) as client,
            pytest.raises(smtplib.SMTPDataError) as deferred,
        ):
            client.sendmail("friend@example.org", [LOCAL], CLEAN)
        assert deferred.value.smtp_code == 451
        assert deferred.value.smtp_error == b"4.3.0 Virus scan unavailable, try again later"
        assert stored(appliance, "INBOX") == []
