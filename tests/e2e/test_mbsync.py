"""mbsync (isync 1.4) mirrors a mailbox both ways over IMAPS, then finds nothing to do."""

from __future__ import annotations

import imaplib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import CORPUS
from tests.harness import RunningAppliance

ADDRESS = "chi.le@hue.gov.vn"
PASSWORD = "Hue-Mbsync-2026!x"
FILES = sorted(CORPUS.rglob("*.eml"))
LOCAL_MESSAGE = (
    b"From: chi.le@hue.gov.vn\r\nTo: chi.le@hue.gov.vn\r\nSubject: written offline\r\n"
    b"Message-ID: <offline-1@hue.gov.vn>\r\n\r\nSaved in the Maildir while offline.\r\n"
)

pytestmark = pytest.mark.skipif(shutil.which("mbsync") is None, reason="mbsync is not installed")


def wire_form(raw: bytes) -> bytes:
    text = re.sub(rb"\r\n|\r|\n", b"\r\n", raw)
    return text if text.endswith(b"\r\n") else text + b"\r\n"


def write_config(appliance: RunningAppliance, home: Path) -> Path:
    mail = home / "mail"
    mail.mkdir()
    config = home / "mbsyncrc"
    # isync 1.4 checks the certificate against DNS names only, not the 127.0.0.1 address,
    # so it connects to "localhost", which the appliance's certificate also names.
    config.write_text(
        f"""IMAPAccount hue
Host localhost
Port {appliance.ports["imaps"]}
User {ADDRESS}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {appliance.settings.cert_file}

IMAPStore hue-remote
Account hue

MaildirStore hue-local
Path {mail}/
Inbox {mail}/INBOX
SubFolders Verbatim

Channel hue
Far :hue-remote:
Near :hue-local:
Patterns *
Sync All
Create Both
Expunge Both
SyncState *
"""
    )
    return config


def run_mbsync(config: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mbsync", "-c", str(config), "-a"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
        check=False,
    )


def maildir_files(folder: Path) -> list[Path]:
    return sorted([*(folder / "cur").iterdir(), *(folder / "new").iterdir()])


def server_count(client: imaplib.IMAP4_SSL, mailbox: str) -> int:
    status, data = client.status(mailbox, "(MESSAGES)")
    assert status == "OK"
    match = re.search(rb"MESSAGES (\d+)", data[0])
    assert match is not None
    return int(match.group(1))


def test_mbsync_two_way(appliance: RunningAppliance, tmp_path: Path) -> None:
    appliance.add_account(ADDRESS, PASSWORD)
    client = imaplib.IMAP4_SSL(
        "127.0.0.1", appliance.ports["imaps"], ssl_context=appliance.client_tls()
    )
    client.login(ADDRESS, PASSWORD)
    for path in FILES:
        assert client.append("INBOX", None, None, wire_form(path.read_bytes()))[0] == "OK"
    assert client.create('"C&APQ-ng v&AQM-n &AREevw-n"')[0] == "OK"
    client.append('"C&APQ-ng v&AQM-n &AREevw-n"', None, None, LOCAL_MESSAGE.replace(b"1@", b"2@"))
    home = tmp_path / "home"
    home.mkdir()
    config = write_config(appliance, home)

    first = run_mbsync(config, home)
    assert first.returncode == 0, first.stderr
    inbox = home / "mail" / "INBOX"
    # mbsync skips one corpus message on purpose: it has no empty line after its header.
    assert "message 36 from far side has incomplete header; skipping" in first.stderr
    mirrored = len(FILES) - 1
    assert len(maildir_files(inbox)) == mirrored
    # isync 1.4 names local folders as the server lists them, in modified UTF-7.
    report_folder = "B&AOE-o c&AOE-o th&AbA- &AREA4Q-ng ng&Ht0-"
    for name in ("Sent", "Drafts", "Trash", "Junk", "Archive", report_folder):
        assert (home / "mail" / name / "cur").is_dir(), name

    (inbox / "new" / "1780000000.offline.localhost").write_bytes(LOCAL_MESSAGE)
    second = run_mbsync(config, home)
    assert second.returncode == 0, second.stderr
    assert server_count(client, "INBOX") == len(FILES) + 1
    local = maildir_files(inbox)
    assert len(local) == mirrored + 1
    local_uids = [re.search(r",U=(\d+)", path.name) for path in local]
    assert all(match is not None for match in local_uids)
    assert len({match.group(1) for match in local_uids if match}) == mirrored + 1
    vietnamese = [path for path in (home / "mail").iterdir() if path.name.startswith("C")]
    assert [len(maildir_files(path)) for path in vietnamese] == [1]

    third = run_mbsync(config, home)
    assert third.returncode == 0, third.stderr
    assert server_count(client, "INBOX") == len(FILES) + 1
    assert len(maildir_files(inbox)) == mirrored + 1
    status, found = client.select("INBOX")
    assert status == "OK"
    status, found = client.search(None, "HEADER", "Message-ID", "<offline-1@hue.gov.vn>")
    assert found == [b"%d" % (len(FILES) + 1)]
    client.logout()
