"""The admin listener's /metrics and /health, and JSON logs, against a running appliance."""

from __future__ import annotations

import imaplib
import json
import os
import smtplib
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import postgres
from tests.harness import RunningAppliance

ADDRESS = "nvan.skhcn@hue.gov.vn"
MESSAGE = (
    b"From: friend@example.org\r\nTo: nvan.skhcn@hue.gov.vn\r\nSubject: metrics\r\n\r\nHello.\r\n"
)

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(appliance: RunningAppliance) -> Samples:
    """Return every sample of /metrics, keyed by (sample name, labels)."""
    response = httpx.get(f"http://127.0.0.1:{appliance.ports['admin']}/metrics", timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_metrics_count_smtp_and_imap(appliance: RunningAppliance) -> None:
    account = appliance.add_account(ADDRESS)
    before = scrape(appliance)
    with smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=30) as client:
        client.sendmail("friend@example.org", [ADDRESS], MESSAGE)
        refused = client.docmd("RCPT TO:<nobody@hue.gov.vn>")
    assert refused[0] == 503  # no MAIL FROM in this transaction any more
    with smtplib.SMTP("127.0.0.1", appliance.ports["smtp"], timeout=30) as client:
        client.ehlo()
        client.docmd("MAIL FROM:<friend@example.org>")
        assert client.docmd("RCPT TO:<nobody@hue.gov.vn>")[0] == 550
    imap = imaplib.IMAP4("127.0.0.1", appliance.ports["imap"], timeout=30)
    imap.starttls(appliance.client_tls())
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap.login(ADDRESS, "wrong password")
    imap.logout()
    after = scrape(appliance)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("appliance_connections_total", listener="smtp") == 2
    assert delta("appliance_connections_total", listener="imap") == 1
    assert value(after, "appliance_open_connections", listener="smtp") == 0
    assert delta("appliance_commands_total", service="smtp", command="DATA", outcome="ok") == 1
    assert delta("appliance_commands_total", service="smtp", command="RCPT", outcome="ok") == 1
    assert delta("appliance_commands_total", service="smtp", command="RCPT", outcome="error") == 2
    assert delta("appliance_commands_total", service="imap", command="LOGIN", outcome="error") == 1
    assert delta("appliance_refusals_total", rule="5.1.1", service="smtp") == 1
    assert delta("appliance_logins_total", service="imap", outcome="failed") == 1
    assert delta("appliance_deliveries_total", destination="local") == 1
    assert delta("appliance_delivery_seconds_count") == 1
    assert delta("appliance_command_seconds_count", service="imap") >= 4
    assert value(after, "appliance_outbound_queue_messages") == 0
    assert value(after, "appliance_accounts", state="active") == 1
    assert value(after, "appliance_mailboxes_nearly_full") == 0
    quota = appliance.call(lambda: appliance.core.store.quota(account.id))
    assert quota.messages == 1
    assert value(after, "appliance_quota_used_bytes") == quota.used_bytes
    assert quota.used_bytes > len(MESSAGE)  # the Received header was added
    assert value(after, "appliance_quota_limit_bytes") == quota.limit_bytes


def test_health_reports_each_check(appliance: RunningAppliance) -> None:
    url = f"http://127.0.0.1:{appliance.ports['admin']}/health"
    healthy = httpx.get(url, timeout=30)
    assert healthy.status_code == 200
    body = healthy.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "blobs": "ok"}
    assert body["database"] == ("postgresql" if postgres.enabled() else "sqlite")

    blob_tmp = appliance.settings.blob_dir / "tmp"
    moved = blob_tmp.with_name("tmp-away")
    blob_tmp.rename(moved)
    try:
        broken = httpx.get(url, timeout=30)
    finally:
        moved.rename(blob_tmp)
    assert broken.status_code == 503
    assert broken.json()["checks"] == {"database": "ok", "blobs": "failed: FileNotFoundError"}
    assert httpx.get(url, timeout=30).status_code == 200


def test_metrics_not_on_webmail_port(appliance: RunningAppliance) -> None:
    response = httpx.get(
        f"http://127.0.0.1:{appliance.ports['http']}/metrics",
        headers={"Host": appliance.settings.web_host},
        timeout=30,
    )
    assert response.status_code == 404


def run_cli(data: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", "--data", str(data), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_json_log_lines(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "var", "init", APPLIANCE_LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines, "init logged nothing"
    for line in lines:
        entry = json.loads(line)
        assert set(entry) >= {"time", "level", "logger", "message", "process"}
        assert entry["time"].endswith("+00:00")
    assert any(json.loads(line)["logger"].startswith("alembic") for line in lines)


def test_unknown_log_format_rejected(tmp_path: Path) -> None:
    result = run_cli(tmp_path / "var", "init", APPLIANCE_LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "log_format = 'xml' is invalid: use text or json" in result.stderr
