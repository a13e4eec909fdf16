"""Interactive API docs at /docs and the error catalogue at /problems, served entirely by us (no CDN).

Swagger UI's files come from the `swagger-ui-bundle` package, so the docs work
with no internet and behind a strict Content Security Policy. Every problem's `type`
is `/problems/{code}` here: a page for people, JSON for programs (`Accept: application/json`).
"""
import functools
from pathlib import Path

from flask import Blueprint, Response, abort, jsonify, request, send_from_directory
from markdown_it import MarkdownIt
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

from civic.core.auth import public
from civic.core.errors import REGISTRY, not_found

docs = Blueprint("docs", __name__)
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
          "favicon-32x32.png", "favicon-16x16.png"}
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'"

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Civic Platform API</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"><p>Loading the API documentation. The raw specification is at <a href="/openapi.json">/openapi.json</a>.</p></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/docs-init.js"></script>
</body>
</html>
"""

INIT = """window.ui = SwaggerUIBundle({
  url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"
});
"""


@docs.get("/docs")
@docs.get("/docs/")
@public
def page():
    """Interactive API documentation."""
    return Response(PAGE, mimetype="text/html", headers={"Content-Security-Policy": CSP})


@docs.get("/docs/static/<path:name>")
@public
def asset(name: str):
    """Swagger UI's own files, from the installed package."""
    if name == "docs-init.js":
        return Response(INIT, mimetype="application/javascript")
    if name not in ASSETS:
        abort(404)
    return send_from_directory(str(swagger_ui_path), name, max_age=86400)


# --- the error catalogue -----------------------------------------------------------
PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = "body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;line-height:1.5}" \
        "dt{font-weight:bold;margin-top:1em}code{background:#eee;padding:0 .2em}"


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "application/problem+json"])
    return best in ("application/json", "application/problem+json")


def _html(title: str, body: str) -> Response:
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>'
            f"<body>{body}</body></html>")
    response = Response(page, mimetype="text/html", headers={"Content-Security-Policy": PAGE_CSP})
    response.vary.add("Accept")
    return response


def _json(value) -> Response:
    response = jsonify(value)
    response.vary.add("Accept")
    return response


def _entry(kind) -> str:
    return (f'<dt id="{escape(kind.code)}"><a href="/problems/{escape(kind.code)}"><code>{escape(kind.code)}</code></a>'
            f" ({kind.status}) {escape(kind.title)}</dt><dd>{escape(kind.means)} <em>What to do:</em> "
            f"{escape(kind.action)}</dd>")


@docs.get("/problems")
@public
def problems():
    """Every error code the platform answers with: what it means and what to do about it."""
    kinds = sorted(REGISTRY.values(), key=lambda kind: kind.code)
    if _wants_json():
        return _json({"items": [kind.describe() for kind in kinds]})
    return _html("Error codes", "<h1>Error codes</h1><p>Every error answer is <code>application/problem+json</code> "
                 "with a stable <code>code</code>. Its <code>type</code> links to its entry here. "
                 'Back to the <a href="/docs">API documentation</a>.</p><dl>'
                 + "".join(_entry(kind) for kind in kinds) + "</dl>")


@docs.get("/problems/<code>")
@public
def problem(code: str):
    """One error code: what it means and what the caller should do."""
    kind = REGISTRY.get(code)
    if kind is None:
        raise not_found("error code")
    if _wants_json():
        return _json(kind.describe())
    return _html(kind.title, f"<h1><code>{escape(kind.code)}</code>: {escape(kind.title)}</h1>"
                 f"<p>HTTP status {kind.status}.</p><h2>What it means</h2><p>{escape(kind.means)}</p>"
                 f"<h2>What to do</h2><p>{escape(kind.action)}</p>"
                 '<p><a href="/problems">All error codes</a> · <a href="/docs">API documentation</a></p>')


# --- the guides (docs/guides/*.md; tests/core/test_docs_guides.py runs their steps) ----------------
GUIDES = Path(__file__).resolve().parents[2] / "docs" / "guides"


@functools.cache
def guides() -> dict[str, tuple[str, str]]:
    """name -> (title, HTML); raw HTML in a guide is shown as text, never run."""
    render = MarkdownIt("commonmark", {"html": False}).render
    return {path.stem: (path.read_text().splitlines()[0].lstrip("# "), render(path.read_text()))
            for path in sorted(GUIDES.glob("*.md"))}


@docs.get("/docs/guides")
@public
def guide_list():
    """The step-by-step guides."""
    items = "".join(f'<li><a href="/docs/guides/{escape(name)}">{escape(title)}</a></li>'
                    for name, (title, _html) in guides().items())
    return _html("Guides", f"<h1>Guides</h1><ul>{items}</ul><p>Every operation is in the "
                 '<a href="/docs">API documentation</a>; every error code in <a href="/problems">the catalogue</a>.</p>')


@docs.get("/docs/guides/<name>")
@public
def guide(name: str):
    """One guide, as a page."""
    if name not in guides():
        raise not_found("guide")
    title, body = guides()[name]
    return _html(title, body + '<p><a href="/docs/guides">All guides</a> · <a href="/docs">API documentation</a></p>')
