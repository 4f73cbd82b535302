"""A check over the logs of the whole test run: no password or secret may appear in them.

Every log record of the appliance's loggers, at DEBUG level (so the protocol wire logs
too), is written to one file during the run. Secrets are collected as tests use them: the
fixed test passwords, and every password, app password, TOTP secret and recovery code the
core generates in this process. At the end of the run the file is searched for each one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import appliance.cli.main
import appliance.cli.serve
import appliance.passwords
import appliance.twofactor

# Loggers of the appliance; their DEBUG records are the wire logs of SMTP and IMAP.
# aiosmtpd's own logger ("mail.log") stays at the level the smtp package gives it.
LOGGERS = ("appliance", "audit", "smtp", "imap", "web", "webmail", "admin")
FIXED_SECRETS = (
    "Mật-khẩu-2026!",
    "Secret-Pass-2026!",
    "Quản-trị-2026-Huế",
    "Đổi-mật-khẩu-1",
    "Sai-mat-khau-1",
)
MIN_LENGTH = 8  # shorter strings would match ordinary text


class SecretScan:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.secrets: set[str] = set(FIXED_SECRETS)
        self.handler = logging.FileHandler(path, encoding="utf-8")
        self.handler.setLevel(logging.DEBUG)
        self.handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
        self._restore: list[Callable[[], None]] = []

    def start(self) -> None:
        logging.getLogger().addHandler(self.handler)
        for name in LOGGERS:
            logger = logging.getLogger(name)
            level = logger.level
            logger.setLevel(logging.DEBUG)
            self._restore.append(lambda logger=logger, level=level: logger.setLevel(level))
        self._record_outputs(appliance.passwords, "generate_password")
        self._record_outputs(appliance.twofactor, "new_secret")
        self._record_outputs(appliance.twofactor, "new_recovery_codes")

    def _record_outputs(self, module: Any, name: str) -> None:
        """Wrap a generator of secrets, in every loaded module that imported it by name."""
        original = getattr(module, name)

        def recording(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            for value in result if isinstance(result, list) else [result]:
                self.secrets.add(value)
            return result

        for loaded in list(sys.modules.values()):
            if getattr(loaded, name, None) is original:
                setattr(loaded, name, recording)
                self._restore.append(lambda loaded=loaded: setattr(loaded, name, original))

    def stop(self) -> list[str]:
        """Stop recording and return the secrets found in the logs, masked."""
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
        for restore in reversed(self._restore):
            restore()
        text = self.path.read_text(encoding="utf-8", errors="replace")
        found = [s for s in self.secrets if len(s) >= MIN_LENGTH and s in text]
        return [s[:2] + "…" for s in sorted(found)]
