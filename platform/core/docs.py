"""Interactive API docs at /docs, served entirely by us (no CDN).

Swagger UI's files come from the `swagger-ui-bundle` package, so the docs work
with no internet and behind a strict Content Security Policy.
"""
from flask import Blueprint, Response, abort, send_from_directory
from swagger_ui_bundle import swagger_ui_path

from civic.core.auth import public

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
