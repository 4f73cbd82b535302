"""MIME structure of a stored message, parsed once at delivery.

The structure records byte offsets into the stored blob, so an IMAP FETCH of a section
slices the blob instead of parsing it again.
"""

from appliance.mime.parse import parse_structure
from appliance.mime.sections import SectionSpec, find_part, header_fields, section_bytes
from appliance.mime.serialize import from_json, to_json
from appliance.mime.structure import Address, Envelope, MessageStructure, Part

__all__ = [
    "Address",
    "Envelope",
    "MessageStructure",
    "Part",
    "SectionSpec",
    "find_part",
    "from_json",
    "header_fields",
    "parse_structure",
    "section_bytes",
    "to_json",
]
