"""SMTP AUTH PLAIN (RFC 4616) and LOGIN, checked by the core's authentication service.

aiosmtpd calls a handler's `auth_<MECHANISM>(server, args)` in place of its own, and only
calls it synchronously through its `authenticator` hook, so the mechanisms live here to
await `core.auth.login`. Neither user names nor passwords are logged by this module; the
core's audit log records each attempt with its account and outcome.
"""

from __future__ import annotations

import binascii
import logging
from base64 import b64decode
from typing import Any

from aiosmtpd.smtp import MISSING, AuthResult

from appliance.core import Core
from appliance.errors import ApplianceError
from smtp import replies

log = logging.getLogger("smtp")


class PasswordMechanisms:
    """The AUTH mechanisms offered on the submission listeners (after TLS only)."""

    core: Core

    async def auth_PLAIN(self, server: Any, args: list[str]) -> AuthResult:
        """RFC 4616: one response holding authzid NUL authcid NUL password."""
        response = await _initial_or_challenge(server, args, "")
        if response is None:
            return AuthResult(success=False, handled=True)
        parts = response.split(b"\x00")
        if len(parts) != 3:
            await server.push("501 5.5.2 Invalid PLAIN response")
            return AuthResult(success=False, handled=True)
        authzid, user, password = parts
        if authzid and authzid != user:
            # Logging in as one account to act as another is not supported.
            return AuthResult(success=False, handled=False, message=replies.AUTH_FAILED)
        return await self._check_password(server, user, password)

    async def auth_LOGIN(self, server: Any, args: list[str]) -> AuthResult:
        """Run the LOGIN mechanism: user name and password in two base64 responses."""
        user = await _initial_or_challenge(server, args, server.AuthLoginUsernameChallenge)
        if user is None:
            return AuthResult(success=False, handled=True)
        password = await _challenge(server, server.AuthLoginPasswordChallenge)
        if password is None:
            return AuthResult(success=False, handled=True)
        return await self._check_password(server, user, password)

    async def _check_password(self, server: Any, user: bytes, password: bytes) -> AuthResult:
        session = server.session
        try:
            account = await self.core.auth.login(
                user.decode("utf-8"),
                password.decode("utf-8"),
                service="smtp",
                client=session.peer_ip,
            )
        except UnicodeDecodeError:
            reply = replies.AUTH_FAILED
        except ApplianceError as error:
            # AuthenticationFailed, or PasswordExpired with its pointer to the webmail.
            reply = replies.of_error(error)
        else:
            log.info("auth ok conn=%d account=%s", session.connection_id, account.address)
            return AuthResult(success=True, auth_data=account, message=replies.AUTH_SUCCEEDED)
        log.info("auth failed conn=%d reply=%r", session.connection_id, reply)
        return AuthResult(success=False, handled=False, message=reply)


async def _initial_or_challenge(server: Any, args: list[str], prompt: str) -> bytes | None:
    """Return the initial response of `AUTH <mech> <response>`, or ask for one.

    "=" is an empty initial response (RFC 4954 section 4). None means a reply was sent.
    """
    if len(args) == 1:
        return await _challenge(server, prompt)
    if args[1] == "=":
        return b""
    return await _decode(server, args[1].encode("ascii", "replace"))


async def _challenge(server: Any, prompt: str) -> bytes | None:
    """Send a 334 challenge and return the decoded response; None if cancelled or invalid."""
    response = await server.challenge_auth(prompt)
    if response is MISSING:
        return None  # aiosmtpd has already sent a 501 reply
    assert isinstance(response, bytes)
    return response


async def _decode(server: Any, text: bytes) -> bytes | None:
    try:
        return b64decode(text, validate=True)
    except binascii.Error:
        await server.push("501 5.5.2 Cannot decode base64")
        return None
