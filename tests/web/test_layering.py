"""The shared web layer: only the two web applications import it, and it imports neither."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "appliance" / "web"


def imported_modules(path: Path) -> set[str]:
    """Return the absolute module names a Python file imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def importers_of(prefix: str, files: list[Path]) -> list[str]:
    return sorted(
        str(path.relative_to(ROOT))
        for path in files
        if any(name == prefix or name.startswith(prefix + ".") for name in imported_modules(path))
    )


def test_core_never_imports_web_layer() -> None:
    core_files = [path for path in (ROOT / "appliance").rglob("*.py") if WEB not in path.parents]

    assert len(core_files) > 50
    assert importers_of("appliance.web", core_files) == []


def test_protocols_never_import_web_layer() -> None:
    files = [*(ROOT / "smtp").rglob("*.py"), *(ROOT / "imap").rglob("*.py")]

    assert importers_of("appliance.web", files) == []


def test_web_layer_imports_no_application() -> None:
    files = list(WEB.rglob("*.py"))

    assert len(files) >= 7
    assert importers_of("webmail", files) == []
    assert importers_of("admin", files) == []


def test_applications_use_web_layer() -> None:
    assert importers_of("appliance.web", list((ROOT / "webmail").rglob("*.py"))) != []
    assert importers_of("appliance.web", list((ROOT / "admin").rglob("*.py"))) != []
