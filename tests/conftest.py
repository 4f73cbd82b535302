from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import RunningAppliance, running_appliance

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.fixture
def appliance(tmp_path: Path) -> Iterator[RunningAppliance]:
    """A running appliance with no accounts, on ports chosen by the kernel."""
    with running_appliance(tmp_path / "data") as running:
        yield running
