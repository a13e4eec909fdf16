"""The export as a page to print or hand over: every value escaped (a name can hold `<script>`), no script,
no outside resource, readable on paper."""
import html
import json

STYLE = """body{font-family:Arial,Helvetica,sans-serif;color:#0b0c0c;margin:2em;max-width:60em}
h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:2px solid #0b0c0c;padding-bottom:.2em;margin-top:1.5em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}th,td{border:1px solid #b1b4b6;padding:.3em .5em;
text-align:left;vertical-align:top;font-size:.9em}th{background:#f3f2f1}pre{white-space:pre-wrap;margin:0;
font-family:inherit}@media print{body{margin:0}h2{page-break-after:avoid}tr{page-break-inside:avoid}}"""


def _cell(value) -> str:
    if isinstance(value, (dict, list)):
        value = json.dumps(value, indent=1, ensure_ascii=False)
        return f"<pre>{html.escape(value)}</pre>"
    return html.escape("" if value is None else str(value))


def _table(rows: list[dict]) -> str:
    if not rows:
        return "<p>Nothing held.</p>"
    columns = list(dict.fromkeys(key for row in rows for key in row))
    head = "".join(f"<th scope=\"col\">{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(export: dict) -> str:
    request, subject = export["request"], export["subject"]
    parts = [f"<h1>What {_cell(export['organisation'])} holds about you</h1>",
             f"<p>Subject access request {_cell(request['reference'] or request['id'])}, received "
             f"{_cell(request['received_on'])}, answered by {_cell(request['due_on'])}. "
             f"Made {_cell(export['generated_at'])}.</p>",
             "<h2>How we found you</h2>",
             _table([{"identifier": k, "value": v} for k, v in subject.items() if v is not None])]
    for component in export["components"]:
        parts += [f"<h2>{_cell(component['component'])}</h2>",
                  f"<p>Why we hold it: {_cell(component['purpose'])} Fields: {_cell(', '.join(component['fields']))}."
                  + (f" Kept for {_cell(component['retention_days'])} days." if component["retention_days"] else "")
                  + "</p>", _table(component["records"])]
    parts += ["<h2>Who accessed these records</h2>", _table(export["access_log"])]
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Your data</title>"
            f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")
