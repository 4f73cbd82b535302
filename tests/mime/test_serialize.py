"""Storage of MessageStructure as JSON: exact round trips, surrogates and invalid input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.mime import from_json, parse_structure, to_json
from appliance.mime.structure import Address, Envelope, MessageStructure, Part

# Any code point, lone surrogates included: surrogateescape produces \udc80-\udcff, and a
# high surrogate followed by a low one must not be merged into one character.
TEXT = st.text(st.characters(exclude_categories=()), max_size=6)
OPTIONAL_TEXT = st.none() | TEXT
PARAMS = st.lists(st.tuples(TEXT, TEXT), max_size=3).map(tuple)
ADDRESSES = st.lists(
    st.builds(Address, OPTIONAL_TEXT, OPTIONAL_TEXT, OPTIONAL_TEXT, OPTIONAL_TEXT), max_size=2
).map(tuple)
ENVELOPES = st.builds(
    Envelope,
    OPTIONAL_TEXT,
    OPTIONAL_TEXT,
    ADDRESSES,
    ADDRESSES,
    ADDRESSES,
    ADDRESSES,
    ADDRESSES,
    ADDRESSES,
    OPTIONAL_TEXT,
    OPTIONAL_TEXT,
)
OFFSET = st.integers(min_value=0, max_value=2**40)


def _parts(children: st.SearchStrategy[tuple[Part, ...]]) -> st.SearchStrategy[Part]:
    return st.builds(
        Part,
        header_start=OFFSET,
        body_start=OFFSET,
        end=OFFSET,
        type=TEXT,
        subtype=TEXT,
        params=PARAMS,
        content_id=OPTIONAL_TEXT,
        description=OPTIONAL_TEXT,
        encoding=TEXT,
        md5=OPTIONAL_TEXT,
        disposition=OPTIONAL_TEXT,
        disposition_params=PARAMS,
        language=st.lists(TEXT, max_size=2).map(tuple),
        location=OPTIONAL_TEXT,
        lines=OFFSET,
        children=children,
        envelope=st.none() | ENVELOPES,
    )


LEAVES = _parts(st.just(()))
PARTS = st.recursive(
    LEAVES,
    lambda inner: (
        _parts(st.lists(inner, max_size=3).map(tuple))
        | st.builds(lambda part, message: Part(**{**vars(part), "message": message}), LEAVES, inner)
    ),
    max_leaves=4,
)
STRUCTURES = st.builds(MessageStructure, ENVELOPES, PARTS, st.lists(TEXT, max_size=3).map(tuple))


@settings(max_examples=150, deadline=None)
@given(STRUCTURES)
def test_round_trip_any_structure(structure: MessageStructure) -> None:
    text = to_json(structure)
    assert from_json(text) == structure


def test_compact_format() -> None:
    raw = b"Subject: Hi\r\nFrom: a@hue.gov.vn\r\n\r\nbody\r\n"
    text = to_json(parse_structure(raw))
    assert text == (
        '{"v":1,"e":[null,"Hi",[[null,null,"a","hue.gov.vn"]],1,1,[],[],[],null,null],'
        '"r":[0,35,41,"text","plain",["charset","us-ascii"],null,null,"7bit",null,null,[],[],'
        'null,1],"d":[]}'
    )


def test_defaults_are_left_out() -> None:
    part = Part(header_start=0, body_start=0, end=0, type="application", subtype="pdf")
    structure = MessageStructure(Envelope(None, None, (), (), (), (), (), (), None, None), part, ())
    document = json.loads(to_json(structure))
    assert document["r"] == [0, 0, 0, "application", "pdf"]


def test_surrogate_escaped_header_survives() -> None:
    raw = b'Subject: Th\xf4ng b\xe1o\r\nFrom: "Tr\xfa\xf2ng" <a@hue.gov.vn>\r\n\r\n'
    structure = parse_structure(raw)
    text = to_json(structure)
    assert '{"s":"5468edb3b46e672062edb3a16f"}' in text
    text.encode("utf-8")  # a surrogate left in the text would make this raise
    restored = from_json(text)
    assert restored == structure
    assert restored.envelope.subject == "Th\udcf4ng b\udce1o"


def test_vietnamese_text_is_stored_as_utf8() -> None:
    raw = "Subject: Thông báo lịch họp\r\n\r\n".encode()
    text = to_json(parse_structure(raw))
    assert '"Thông báo lịch họp"' in text


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"v":2,"e":[],"r":[],"d":[]}',
        '{"v":1,"e":[null],"r":[0,0,0],"d":[]}',
        '{"v":1,"e":[null,null,[],1,1,[],[],[],null,null],"r":[0,0],"d":[]}',
        '{"v":1,"e":[null,null,[],1,1,[],[],[],null,null],"r":[0,0,"x"],"d":[]}',
        '{"v":1,"e":[null,null,[],1,1,[],[],[],null,null],"r":[0,0,0,null],"d":[]}',
        '{"v":1,"e":[null,null,[],1,1,[],[],[],null,null],"r":[0,0,0,"a","b",["x"]],"d":[]}',
        '{"v":1,"e":[null,null,[[1]],1,1,[],[],[],null,null],"r":[0,0,0],"d":[]}',
        '{"v":1,"e":[null,{"s":"zz"},[],1,1,[],[],[],null,null],"r":[0,0,0],"d":[]}',
        '{"v":1,"e":[null,null,[],1,1,[],[],[],null,null],"r":[0,0,0],"d":null}',
    ],
)
def test_invalid_input_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        from_json(text)
