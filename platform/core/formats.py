"""Output that other programs open: CSV a spreadsheet will read, XML text any parser accepts, download names.

Every CSV the platform writes goes through `csv_response`, and every XML text
node through `xml_text`, so a value stored by anyone can never run as a
spreadsheet formula or break a feed for every consumer.
"""
import csv
import io
import re
from urllib.parse import quote

from flask import Response

# OWASP CSV injection: a cell starting with one of these is a formula in Excel, LibreOffice or Sheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry at all (C0 controls other than tab, newline, carriage return;
# lone surrogates; U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def safe_cell(value):
    """One CSV cell that a spreadsheet shows as text: formula-like text gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, float)):
        return value  # numbers are data, and a negative number is not a formula
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header: list[str], rows) -> str:
    """The CSV document: a header row, then `rows`, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def csv_response(header: list[str], rows, filename: str) -> Response:
    """A CSV download with safe cells."""
    return Response(csv_text(header, rows), mimetype="text/csv",
                    headers={"Content-Disposition": attachment_disposition(filename)})


def attachment_disposition(filename: str) -> str:
    """The `Content-Disposition` of a download named `filename`, whatever characters a caller put in it.

    HTTP header values are Latin-1, so a name such as "会议记录.txt" would break the response in a real
    server: the header carries an ASCII fallback and the exact name in RFC 6266's `filename*` (UTF-8).
    Quotes, backslashes, slashes and control characters (a header split) never reach the header.
    """
    clean = "".join(c for c in str(filename) if c.isprintable() and c not in '"\\/') or "download"
    fallback = "".join(c if c.isascii() else "_" for c in clean)
    value = f'attachment; filename="{fallback}"'
    return value if fallback == clean else value + "; filename*=UTF-8''" + quote(clean, safe="")


def xml_text(value: str) -> str:
    """Text that XML 1.0 can carry: characters it cannot are replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", value)
