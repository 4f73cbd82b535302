"""TLS on the listeners: TLS 1.2 or newer with modern ciphers, certificates reloaded on SIGHUP."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest
from cryptography import x509

from appliance.tls import make_self_signed
from tests.harness import RunningAppliance

APPLIANCE = [sys.executable, "-m", "appliance"]


def old_protocol_client() -> ssl.SSLContext:
    """A client that offers only TLS 1.0 and 1.1, at the lowest OpenSSL security level."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old versions on purpose
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("ALL:@SECLEVEL=0")
    return context


def handshake(port: int, context: ssl.SSLContext) -> tuple[str, str, bytes]:
    """Return the TLS version, cipher and DER certificate of an implicit-TLS listener."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        context.wrap_socket(sock) as tls,
    ):
        cipher = tls.cipher()
        der = tls.getpeercert(binary_form=True)
        assert cipher is not None and der is not None
        return str(tls.version()), cipher[0], der


def test_tls_1_1_is_refused(appliance: RunningAppliance) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(appliance.ports["imaps"], old_protocol_client())
    with pytest.raises(ssl.SSLError):
        handshake(appliance.ports["submissions"], old_protocol_client())


def test_old_protocol_client_works_where_allowed(tmp_path: Path) -> None:
    """The refusal above comes from the server: this client does complete TLS 1.1 elsewhere."""
    make_self_signed(tmp_path / "c.pem", tmp_path / "k.pem", "localhost")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server_context.minimum_version = ssl.TLSVersion.TLSv1
    server_context.set_ciphers("ALL:@SECLEVEL=0")
    server_context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve_one() -> None:
            accepted, _ = listener.accept()
            with server_context.wrap_socket(accepted, server_side=True) as tls:
                tls.recv(1)

        server = threading.Thread(target=serve_one, daemon=True)
        server.start()
        version, _cipher, _der = handshake(port, old_protocol_client())
        server.join(10)
    assert version == "TLSv1.1"


def test_tls_1_2_uses_forward_secret_aead(appliance: RunningAppliance) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    version, cipher, _ = handshake(appliance.ports["imaps"], context)
    assert version == "TLSv1.2"
    assert cipher.startswith("ECDHE-")
    assert "GCM" in cipher or "CHACHA20" in cipher


def test_tls_1_2_without_ecdhe_is_refused(appliance: RunningAppliance) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES128-GCM-SHA256:AES256-SHA256")
    with pytest.raises(ssl.SSLError):
        handshake(appliance.ports["imaps"], context)


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def serial_of(der: bytes) -> int:
    return x509.load_der_x509_certificate(der).serial_number


def test_sighup_reloads_certificate(tmp_path: Path) -> None:
    data = tmp_path / "var"
    subprocess.run([*APPLIANCE, "--data", str(data), "init"], check=True, capture_output=True)
    names = ["SMTP", "SUBMISSION", "SUBMISSIONS", "IMAP", "IMAPS", "HTTP", "HTTPS", "ADMIN"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    env = {**os.environ, **{f"APPLIANCE_{name}_PORT": str(port) for name, port in ports.items()}}
    process = subprocess.Popen(
        [*APPLIANCE, "--data", str(data), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    try:
        wait_for_port(ports["ADMIN"], process)
        before = serial_of(handshake(ports["SUBMISSIONS"], client)[2])
        assert (
            before
            == x509.load_pem_x509_certificate((data / "tls/cert.pem").read_bytes()).serial_number
        )
        make_self_signed(data / "tls/cert.pem", data / "tls/key.pem", "mail.hue.gov.vn")
        after = x509.load_pem_x509_certificate((data / "tls/cert.pem").read_bytes()).serial_number
        process.send_signal(signal.SIGHUP)
        served = {}
        for _ in range(100):
            served = {
                name: serial_of(handshake(ports[name], client)[2])
                for name in ("SUBMISSIONS", "IMAPS", "HTTPS")
            }
            if set(served.values()) == {after}:
                break
            time.sleep(0.1)
        assert served == {"SUBMISSIONS": after, "IMAPS": after, "HTTPS": after}
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert before != after
    assert "certificate reloaded from" in output


def wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    """Wait until `port` accepts connections, for at most about 2 minutes (a loaded host)."""
    for _ in range(1200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    process.kill()
    pytest.fail(f"the appliance never came up:\n{process.communicate()[0]}")
