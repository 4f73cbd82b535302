"""Checks that every parsed structure must pass, whatever the input."""

from __future__ import annotations

from collections.abc import Iterator

from appliance.mime.structure import Part


def offset_errors(part: Part, lower: int, upper: int) -> list[str]:
    """Check that offsets are ordered and that children lie inside their parent's body."""
    errors = []
    if not lower <= part.header_start <= part.body_start <= part.end <= upper:
        errors.append(f"{part.type}/{part.subtype} at {part.header_start} out of order")
    previous_end = part.body_start
    for child in part.children:
        if child.header_start < previous_end:
            errors.append(f"child at {child.header_start} overlaps the one before")
        errors += offset_errors(child, part.body_start, part.end)
        previous_end = child.end
    if part.message is not None:
        if (part.message.header_start, part.message.end) != (part.body_start, part.end):
            errors.append(f"attached message at {part.body_start} is not the whole body")
        errors += offset_errors(part.message, part.body_start, part.end)
    return errors


def part_numbers(part: Part, prefix: tuple[int, ...] = ()) -> Iterator[tuple[int, ...]]:
    """Yield the IMAP part number of every part below `part`, a message's top part."""
    numbered = part.children if part.type == "multipart" else (part,)
    for index, child in enumerate(numbered, 1):
        number = (*prefix, index)
        yield number
        if child.message is not None:
            yield from part_numbers(child.message, number)
        elif child is not part and child.type == "multipart":
            yield from _multipart_numbers(child, number)


def _multipart_numbers(part: Part, prefix: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    for index, child in enumerate(part.children, 1):
        number = (*prefix, index)
        yield number
        if child.message is not None:
            yield from part_numbers(child.message, number)
        elif child.type == "multipart":
            yield from _multipart_numbers(child, number)
