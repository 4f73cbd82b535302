"""Parse every corpus message and compare the result with Python's email package.

Each message is checked as it is on disk and in the form the server stores (CRLF line
endings, final CRLF). The tree shape, content types, parameters, the decoded payload of
every leaf and the envelope must agree with `email.message_from_bytes` (compat32), except
for the differences listed in KNOWN_DIFFERENCES, which must occur exactly as listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.mime import from_json, parse_structure, to_json
from tests.mime.invariants import offset_errors
from tests.mime.pycompare import (
    CORPUS,
    crlf_form,
    envelope_differences,
    python_message,
    tree_differences,
)

FILES = sorted(CORPUS.glob("**/*.eml"))

# Where this parser and Python's email package disagree on purpose, with the reason.
# A line that is not a header field: RFC 5322 and Dovecot end a header only at an empty
# line, but Python ends it at the first line that is not a field and starts the body there.
_NOT_A_FIELD = "a line without a colon ends the header in Python, not here"
# A nested multipart reuses its parent's boundary: the innermost multipart claims the
# boundary lines here, as in Dovecot, which gives the tree the sender meant. Python loses it.
_REUSED_BOUNDARY = "nested multipart reuses the outer boundary"
KNOWN_DIFFERENCES: dict[str, tuple[set[str], str]] = {
    "cpython/msg_15.eml": ({"root children", "1 children", "2 type"}, _REUSED_BOUNDARY),
    "cpython/msg_19.eml": ({"root payload"}, _NOT_A_FIELD),
    "cpython/msg_35.eml": ({"root payload"}, _NOT_A_FIELD),
    "cpython/msg_38.eml": ({"1.2 payload", "2 payload"}, _NOT_A_FIELD),
    "cpython/msg_39.eml": ({"1.1 children", "1.2 type", "1.3 type"}, _REUSED_BOUNDARY),
    "cpython/msg_42.eml": (
        {"2.M body"},
        "the first boundary line closes the multipart: Python drops the body, here it is kept",
    ),
    "cpython/msg_47.eml": ({"1 payload", "2 payload"}, _NOT_A_FIELD),
    "rfc/008.eml": ({"2.M payload"}, _NOT_A_FIELD),
    "thirdparty/010.eml": (
        {"root param comment"},
        "no ';' between two parameters: Python keeps the folded line break in the value",
    ),
    "thirdparty/012.eml": (
        {"root children"},
        "the boundary parameter is folded: Python keeps the line break and finds no part",
    ),
    "thirdparty/015.eml": ({"4.M payload"}, _NOT_A_FIELD),
}


def _name(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def _load(path: Path, form: str) -> bytes:
    raw = path.read_bytes()
    return crlf_form(raw) if form == "crlf" else raw


def test_corpus_present() -> None:
    assert len(FILES) >= 137
    assert {path.parent.name for path in FILES} == {
        "cpython",
        "legacy",
        "rfc",
        "thirdparty",
        "vietnamese",
    }


def test_known_differences_exist() -> None:
    names = {_name(path) for path in FILES}
    assert set(KNOWN_DIFFERENCES) <= names


@pytest.mark.parametrize("form", ["raw", "crlf"])
@pytest.mark.parametrize("path", FILES, ids=_name)
def test_corpus_matches_python(path: Path, form: str) -> None:
    raw = _load(path, form)
    structure = parse_structure(raw)
    python = python_message(raw)
    differences = set(tree_differences("root", raw, python, structure.root))
    differences |= set(envelope_differences(structure, python))
    expected, _reason = KNOWN_DIFFERENCES.get(_name(path), (set(), ""))
    assert differences == expected


@pytest.mark.parametrize("form", ["raw", "crlf"])
@pytest.mark.parametrize("path", FILES, ids=_name)
def test_corpus_offsets_and_storage(path: Path, form: str) -> None:
    raw = _load(path, form)
    structure = parse_structure(raw)
    assert offset_errors(structure.root, 0, len(raw)) == []
    assert (structure.root.header_start, structure.root.end) == (0, len(raw))
    assert not any(defect.startswith("internal error") for defect in structure.defects)
    assert from_json(to_json(structure)) == structure
