"""Logging of the whole process: plain text lines, or one JSON object per line.

JSON lines are for log collectors (Loki, Elasticsearch, journald with a JSON parser): each
record becomes an object with a fixed set of keys, and the `key=value` pairs that our log
messages carry (`conn=12 reply='250 ...'`) are left in `message` as they are, so the text
and JSON forms contain the same facts.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
LOG_FORMATS = ("text", "json")
# Loggers of libraries whose DEBUG lines carry SQL parameters: TOTP secrets, password and
# app password hashes. They stay at INFO even when the process logs at DEBUG.
QUIET_LOGGERS = ("aiosqlite",)


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON with time, level, logger and message."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, log_format: str) -> None:
    """Send every logger's records to standard error in the chosen format."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log_format = {log_format!r} is invalid: use text or json")
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
