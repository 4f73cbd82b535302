"""TLS for every listener: a self-signed certificate at init, TLS 1.2 or newer only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from appliance.config import Settings


def make_self_signed(cert_file: Path, key_file: Path, hostname: str, days: int = 825) -> None:
    """Write a new EC P-256 key and a self-signed certificate for `hostname` and localhost."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = dt.datetime.now(dt.UTC)
    alt_names: list[x509.GeneralName] = [
        x509.DNSName(hostname),
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_bytes)
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


# TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are all of that kind and
# are set apart by OpenSSL).
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"


def server_context(settings: Settings) -> ssl.SSLContext:
    """Return the server TLS context shared by SMTP, IMAP and HTTPS listeners."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.load_cert_chain(settings.cert_file, settings.key_file)
    return context


def reload_certificate(context: ssl.SSLContext, settings: Settings) -> None:
    """Load the certificate and key files into `context` again (after a renewal).

    Connections accepted afterwards present the new certificate; open ones keep theirs.
    """
    context.load_cert_chain(settings.cert_file, settings.key_file)


def client_context(settings: Settings) -> ssl.SSLContext:
    """Return a client context that trusts this appliance's certificate (for tests and tools)."""
    context = ssl.create_default_context(cafile=str(settings.cert_file))
    context.check_hostname = False
    return context
