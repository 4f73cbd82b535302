// The size of the message being written, as it will go out: quoted-printable text and
// base64 attachments, headers included. Progressive enhancement: without this script the
// page shows the size computed by the server when it was drawn, and the server refuses an
// oversized message on sending. With it, the figure follows the form as it changes, and a
// message that would be over the limit is stopped before its files are uploaded.
//
// The server's figure for the form as drawn is exact; this script adds what changed since
// then. Text encodings follow RFC 2045 section 6.7 (quoted-printable, lines of at most 78
// characters with soft breaks) and section 6.8 (base64, 76 characters per line).
"use strict";

(function () {
  const LINE = 78;
  const BASE64_LINE = 76;
  // Boundary line and part headers of one attachment (Content-Type, Content-Disposition,
  // Content-Transfer-Encoding, MIME-Version), besides the type and the file name.
  const PART_HEADERS = 190;
  // A plain message becomes multipart/mixed with its first attachment: the top-level
  // Content-Type with its boundary, the text's own part headers and the closing boundary.
  const MULTIPART = 260;

  const form = document.querySelector("form.compose");
  const status = document.getElementById("size-now");
  if (!form || !status) {
    return;
  }
  const encoder = new TextEncoder();
  const limit = Number(form.dataset.sizeLimit);
  const base = Number(form.dataset.baseSize);
  const multipart = form.dataset.multipart === "yes";
  const body = form.elements.namedItem("body");
  const files = form.elements.namedItem("attachment");
  const headers = ["to", "cc", "subject"].map((name) => form.elements.namedItem(name));
  const number = new Intl.NumberFormat(document.documentElement.lang || "vi", {
    maximumFractionDigits: 1,
  });

  function isAscii(text) {
    return /^[\x20-\x7e]*$/.test(text);
  }

  // RFC 2045 section 6.7: printable ASCII stays as it is, "=" and other bytes become =XX,
  // white space at the end of a line is encoded, long lines get "=" CRLF soft breaks.
  function quotedPrintableLength(text) {
    let total = 0;
    for (const line of text.replace(/\r\n/g, "\n").split("\n")) {
      let length = 0;
      for (const byte of encoder.encode(line)) {
        length += byte === 9 || (byte >= 32 && byte <= 126 && byte !== 61) ? 1 : 3;
      }
      if (/[ \t]$/.test(line)) {
        length += 2;
      }
      if (length > LINE) {
        length += 3 * Math.ceil((length - LINE) / (LINE - 1));
      }
      total += length + 2;
    }
    return total;
  }

  // Non-ASCII header text goes out as base64 encoded words (RFC 2047 section 4.1) of at
  // most 45 bytes each, with "=?utf-8?b?" and "?=" and a folding CRLF SP around each.
  function headerLength(text) {
    const bytes = encoder.encode(text).length;
    if (isAscii(text)) {
      return bytes;
    }
    return 4 * Math.ceil(bytes / 3) + 15 * Math.ceil(bytes / 45);
  }

  // A non-ASCII file name is written as an RFC 2231 parameter: each byte as %XX, in
  // continuation lines of about 70 characters.
  function nameLength(name) {
    const bytes = encoder.encode(name).length;
    if (isAscii(name)) {
      return bytes;
    }
    return 3 * bytes + 20 + 6 * Math.ceil((3 * bytes) / 70);
  }

  function attachmentLength(file) {
    const encoded = 4 * Math.ceil(file.size / 3);
    const lines = Math.ceil(encoded / BASE64_LINE);
    const type = file.type || "application/octet-stream";
    return encoded + 2 * lines + PART_HEADERS + type.length + nameLength(file.name);
  }

  function textLength() {
    return quotedPrintableLength(body.value) + headers.reduce((sum, field) => sum + headerLength(field.value), 0);
  }

  const drawn = textLength();

  function estimate() {
    let size = base + textLength() - drawn;
    const chosen = Array.from(files.files);
    if (chosen.length && !multipart) {
      size += MULTIPART;
    }
    return chosen.reduce((sum, file) => sum + attachmentLength(file), size);
  }

  // Units of 1024 with one decimal, as the server writes sizes.
  function sizeText(count) {
    if (count < 1024) {
      return `${count} B`;
    }
    const kilobytes = count / 1024;
    if (kilobytes < 1024) {
      return `${number.format(kilobytes)} KB`;
    }
    return `${number.format(kilobytes / 1024)} MB`;
  }

  function show() {
    const size = estimate();
    const over = size > limit;
    status.dataset.bytes = String(size);
    status.textContent = (over ? status.dataset.over : status.dataset.estimate).replace("{size}", sizeText(size));
    status.classList.toggle("error", over);
    return over;
  }

  let timer = 0;
  form.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(show, 200);
  });
  files.addEventListener("change", show);
  form.addEventListener("submit", (event) => {
    if (show()) {
      event.preventDefault();
      files.focus();
    }
  });
})();
