"""Open311 GeoReport v2 output: the same data as XML (required by the spec) or JSON.

JSON follows the spec's Spark convention: a list of elements is a JSON array.
"""
import datetime as dt
import xml.etree.ElementTree as ET

from flask import current_app, json

from civic.core.formats import xml_text

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
# The element name of one item in each list.
ITEM = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
        "endpoints": "endpoint", "formats": "format", "errors": "error", "service_request_updates": "request_update"}


def w3c(moment: dt.datetime | None) -> str | None:
    """W3C date-time in UTC, e.g. 2026-01-31T09:30:00Z."""
    if moment is None:
        return None
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else xml_text(str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list):
        name = ITEM.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, name), item)
    else:
        element.text = _text(value)


def xml_body(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8", xml_declaration=False)


def render(fmt: str, root: str, value, status: int = 200):
    """A response in the asked-for format; `root` names the XML root (JSON has none)."""
    if fmt == "json":
        body, mimetype = json.dumps(value), JSON_TYPE
    else:
        body, mimetype = xml_body(root, value), XML_TYPE
    return current_app.response_class(body, status=status, content_type=mimetype)


def error(fmt: str, status: int, description: str):
    """The spec's error format: a list of {code, description}, with the HTTP status as the code."""
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)
