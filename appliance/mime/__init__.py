"""MIME structure of a stored message, parsed once at delivery.

The structure records byte offsets into the stored blob, so an IMAP FETCH of a section
slices the blob instead of parsing it again.
"""

from appliance.mime.structure import Envelope, MessageStructure, Part

__all__ = ["Envelope", "MessageStructure", "Part"]
