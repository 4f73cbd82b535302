from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import RunningAppliance, running_appliance

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
