"""Minimal valid PDFs for tests: Helvetica text, one or more lines a page, xref offsets computed."""

from __future__ import annotations


def minimal_pdf(pages: list[str | list[str]], title: str | None = None) -> bytes:
    """A PDF whose page N shows pages[N] (a line, or a list of lines: a slide title, then its text)."""
    page_ids = [5 + 2 * i for i in range(len(pages))]
    objects = {1: b"<< /Type /Catalog /Pages 2 0 R >>",
               2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids) + b"] /Count %d >>" % len(pages),
               3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               4: b"<< /Title (" + (title or "").encode("latin-1") + b") >>"}
    for page_id, lines in zip(page_ids, pages):
        lines = [lines] if isinstance(lines, str) else lines
        shown = b" 0 -18 Td ".join(b"(" + line.encode("latin-1") + b") Tj" for line in lines)
        stream = b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"
        objects[page_id] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_id + 1))
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out, offsets = bytearray(b"%PDF-1.4\n"), {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref, size = len(out), max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size + b"".join(b"%010d 00000 n \n" % offsets[i] for i in range(1, size))
    info = b" /Info 4 0 R" if title else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref)
    return bytes(out)
