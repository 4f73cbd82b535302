from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from appliance.config import Settings
from tests import postgres
from tests.harness import RunningAppliance, running_appliance

if TYPE_CHECKING:
    pass

SECRET_SCAN = pytest.StashKey["SecretScan"]()
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture(autouse=True)
def restore_root_logging() -> Iterator[None]:
    """Undo logging set up by a test that runs the command line in-process.

    `appliance.cli.main.main` attaches a handler to the root logger that writes to the
    test's captured stderr; left in place, it would fail on the closed stream later.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def appliance(tmp_path: Path) -> Iterator[RunningAppliance]:
    """A running appliance with no accounts, on ports chosen by the kernel."""
    with running_appliance(tmp_path / "data") as running:
        yield running


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "embedded_default: test the SQLite default, even on a PostgreSQL run"
    )


@pytest.fixture(autouse=True)
def postgres_default_database(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """On a PostgreSQL run, make the test database the default instead of a SQLite file.

    Settings without a database_url then name the test database, in this process and, via
    APPLIANCE_DATABASE_URL, in every command-line process the test starts.
    """
    # The daily backup would run at every start of a test appliance; the tests that
    # check it turn it on again.
    monkeypatch.setenv("APPLIANCE_BACKUP_KEEP", "0")
    if not postgres.enabled() or request.node.get_closest_marker("embedded_default"):
        yield
        return
    url = postgres.DEFAULT.get_url()
    monkeypatch.setenv("APPLIANCE_DATABASE_URL", url)
    monkeypatch.setattr(
        Settings, "database", property(lambda settings: settings.database_url or url)
    )
    try:
        yield
    finally:
        postgres.DEFAULT.reset()


def pytest_sessionstart(session: pytest.Session) -> None:
    from tests.secret_scan import SecretScan

    scan = SecretScan(Path(tempfile.mkdtemp(prefix="appliance-logs-")) / "run.log")
    scan.start()
    session.config.stash[SECRET_SCAN] = scan


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    postgres.DEFAULT.close()
    scan = session.config.stash.get(SECRET_SCAN, None)
    if scan is None:
        return
    found = scan.stop()
    if found:
        print(f"\nFAILED: secrets found in the logs of this run: {', '.join(found)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
