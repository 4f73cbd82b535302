"""Sanitize HTML mail with nh3 before it is shown, and block remote images.

nh3 (the ammonia sanitizer) keeps an allow-list of tags and attributes: scripts, event
handler attributes, forms, embedded objects, `<style>` blocks and `javascript:` URLs are
removed. Inline `style` attributes keep only layout-neutral properties, so a message cannot
load images through CSS or cover the page with a positioned box. The Content-Security-Policy
of the frame that shows the result is the second wall.

Images load only from the message itself (`cid:` parts, turned into `data:` URLs) until the
reader asks for remote images, because a remote image would tell the sender when and where
the message was read.
"""

from __future__ import annotations

import base64
import html as html_module
import re
from dataclasses import dataclass

import nh3

ALLOWED_TAGS = frozenset(nh3.ALLOWED_TAGS | {"font"})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {"style", "title", "lang", "dir", "align", "valign", "width", "height", "bgcolor"},
    "table": {"summary", "align", "border", "cellpadding", "cellspacing", "width", "bgcolor"},
    "td": {"headers", "rowspan", "colspan", "align", "valign", "width", "nowrap", "bgcolor"},
    "th": {"headers", "scope", "rowspan", "colspan", "align", "valign", "width", "bgcolor"},
    "font": {"color", "face", "size"},
}
# CSS properties kept in style attributes. Left out on purpose: everything that can load a
# URL (background, background-image, list-style, content, cursor, border-image) and
# everything that can move a box out of the flow (position, top, left, z-index, transform).
ALLOWED_STYLE_PROPERTIES = frozenset(
    {
        "color",
        "background-color",
        "font",
        "font-family",
        "font-size",
        "font-style",
        "font-weight",
        "line-height",
        "letter-spacing",
        "text-align",
        "text-decoration",
        "text-indent",
        "text-transform",
        "vertical-align",
        "white-space",
        "width",
        "max-width",
        "min-width",
        "height",
        "margin",
        "margin-top",
        "margin-right",
        "margin-bottom",
        "margin-left",
        "padding",
        "padding-top",
        "padding-right",
        "padding-bottom",
        "padding-left",
        "border",
        "border-top",
        "border-right",
        "border-bottom",
        "border-left",
        "border-color",
        "border-style",
        "border-width",
        "border-collapse",
        "border-spacing",
        "border-radius",
        "display",
    }
)
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid", "data"})
LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")

# The frame's own style sheet: readable text and images that fit the frame's width.
FRAME_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;"
    "margin:0.75rem;color:#1b1b1b;background:#fff;overflow-wrap:anywhere;line-height:1.5}"
    "img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}"
)


@dataclass(frozen=True)
class SanitizedHtml:
    html: str
    blocked_images: int  # remote images removed because the reader has not allowed them


def sanitize(
    html: str, *, inline_images: dict[str, tuple[str, bytes]], allow_remote: bool
) -> SanitizedHtml:
    """Return safe HTML for the message frame, with `cid:` images inlined as `data:` URLs."""
    blocked = 0

    def filter_attribute(tag: str, attribute: str, value: str) -> str | None:
        nonlocal blocked
        if tag == "img" and attribute == "src":
            source, was_remote = image_source(value, inline_images, allow_remote)
            blocked += was_remote and source is None
            return source
        if attribute == "href":
            return value if value.strip().lower().startswith(LINK_SCHEMES) else None
        return value

    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes=set(URL_SCHEMES),
        url_relative="deny",
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"a": {"target": "_blank"}},
        filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
        strip_comments=True,
    )
    return SanitizedHtml(cleaned, blocked)


def image_source(
    value: str, inline_images: dict[str, tuple[str, bytes]], allow_remote: bool
) -> tuple[str | None, bool]:
    """Return the `src` to keep for an image (None to drop it) and whether it is remote."""
    source = value.strip()
    lowered = source.lower()
    if lowered.startswith("cid:"):
        found = inline_images.get(source[4:].strip("<>"))
        if found is None:
            return None, False
        content_type, data = found
        return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}", False
    if lowered.startswith("data:image/"):
        return source, False
    if lowered.startswith(("http://", "https://")):
        if not allow_remote:
            return None, True
        # The frame's policy allows https: images only, so plain http is upgraded.
        return "https://" + source.split("://", 1)[1], True
    return None, False


def frame_document(body: str) -> str:
    """Wrap sanitized HTML in the document served to the sandboxed message frame."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="referrer" content="no-referrer">'
        f'<base target="_blank"><style>{FRAME_STYLE}</style></head>'
        f"<body>{body}</body></html>"
    )


_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|table)\s*>")


def html_to_text(html: str) -> str:
    """Return the text of an HTML body with line breaks at block ends, for quoting."""
    marked = _BLOCK_END.sub("\n", html)
    text = html_module.unescape(nh3.clean(marked, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()
