"""Settings of one appliance: read from `DATA/appliance.toml`, then from the environment.

Every setting named `x` here can be overridden by the environment variable
`APPLIANCE_X` (upper case), e.g. `APPLIANCE_SMTP_PORT=25`. The documented list lives in
docs/configuration.md.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class Settings:
    """Every setting the appliance reads, with the embedded defaults."""

    data_dir: Path
    domain: str = "hue.gov.vn"
    hostname: str = "mail.hue.gov.vn"  # name in SMTP greetings and Received headers
    web_host: str = "mail.hue.gov.vn"  # Host header the webmail is served for
    database_url: str = ""  # empty: SQLite file appliance.db in the data folder
    listen: str = "127.0.0.1"  # address every listener binds to
    smtp_port: int = 2525  # MX
    submission_port: int = 2587  # submission with STARTTLS
    submissions_port: int = 2465  # submission with implicit TLS
    imap_port: int = 1143  # IMAP with STARTTLS
    imaps_port: int = 1993  # IMAP with implicit TLS
    http_port: int = 8080
    https_port: int = 8443
    tls_cert: str = ""  # empty: tls/cert.pem in the data folder, made at init
    tls_key: str = ""
    max_message_size: int = 50 * MiB  # bytes, headers and encoding included
    default_quota: int = 5 * GiB  # bytes per mailbox
    local_domains: tuple[str, ...] = field(default=())  # besides `domain`
    secure_cookies: bool = True
    dkim_selector: str = "mail2026"  # DNS label of the DKIM key: <selector>._domainkey.<domain>
    retention_days: int = 365  # days a revoked mailbox's content is kept before it is purged
    log_level: str = "INFO"
    log_format: str = "text"  # text, or json: one JSON object per line
    admin_port: int = 8081  # /metrics and /health over plain HTTP; keep it off the internet
    blob_backend: str = "file"  # file (the data folder's blobs/) or s3
    s3_endpoint: str = ""  # e.g. https://s3.example.org; empty: the AWS default
    s3_bucket: str = ""
    s3_prefix: str = "blobs/"
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    clamd_socket: str = ""  # path of clamd's UNIX socket; empty: no virus scan
    antivirus_action: str = "reject"  # reject (554 5.7.1 at DATA) or quarantine (to Junk)
    backup_dir: str = ""  # empty: backups/ in the data folder
    backup_keep: int = 7  # days of daily backups kept; 0 turns the daily backup off
    smarthost: str = ""  # "host:port" relaying all outbound mail; empty: straight to MX hosts
    smarthost_user: str = ""  # AUTH user at the smarthost; empty: no AUTH
    smarthost_password: str = field(default="", repr=False)
    tls_policy: tuple[str, ...] = field(default=())  # "domain:required"; others opportunistic
    dns_overrides: tuple[str, ...] = field(default=())  # "domain=host:port", skipping MX lookup
    # false: send no DNS query at all, every name is unknown (benchmarks, isolated hosts)
    dns_lookups: bool = True
    trusted_networks: tuple[str, ...] = field(default=())  # MX clients that may use local senders
    public_imaps_port: int = 993  # ports named in mail client autoconfiguration
    public_imap_port: int = 143
    public_submissions_port: int = 465
    public_submission_port: int = 587

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the metadata database."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'appliance.db'}"

    @property
    def cert_file(self) -> Path:
        return Path(self.tls_cert) if self.tls_cert else self.data_dir / "tls" / "cert.pem"

    @property
    def key_file(self) -> Path:
        return Path(self.tls_key) if self.tls_key else self.data_dir / "tls" / "key.pem"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def backup_folder(self) -> Path:
        return Path(self.backup_dir) if self.backup_dir else self.data_dir / "backups"

    def is_local_domain(self, domain: str) -> bool:
        """Tell whether mail for `domain` is stored here."""
        domain = domain.lower().rstrip(".")
        return domain == self.domain or domain in self.local_domains


def load_settings(data_dir: Path, environ: dict[str, str] | None = None) -> Settings:
    """Read `appliance.toml` in `data_dir` (if present), then apply `APPLIANCE_*` overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = data_dir / "appliance.toml"
    if config_file.exists():
        with config_file.open("rb") as handle:
            values.update(tomllib.load(handle))
    settings = Settings(data_dir=data_dir)
    known = {f.name: f for f in fields(Settings) if f.name != "data_dir"}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(f"unknown setting(s) in {config_file}: {', '.join(unknown)}")
    for name in known:
        raw = env.get(f"APPLIANCE_{name.upper()}")
        if raw is not None:
            values[name] = _from_text(raw, getattr(settings, name), name)
        elif name in values:
            values[name] = _coerce(values[name], getattr(settings, name), name)
    return replace(settings, **values)


def _from_text(raw: str, default: object, name: str) -> object:
    if isinstance(default, bool):
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off"}:
            return False
        raise ValueError(f"APPLIANCE_{name.upper()}={raw!r} is not a boolean (use true or false)")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"APPLIANCE_{name.upper()}={raw!r} is not a whole number") from None
    if isinstance(default, tuple):
        return tuple(item.strip() for item in raw.split(",") if item.strip())
    return raw


def _coerce(value: object, default: object, name: str) -> object:
    if isinstance(default, tuple) and isinstance(value, list):
        return tuple(str(item) for item in value)
    if isinstance(default, bool) != isinstance(value, bool) or type(value) is not type(default):
        raise ValueError(f"setting {name} = {value!r} must be of type {type(default).__name__}")
    return value
