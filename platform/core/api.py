"""The flask-smorest Api, answering every error as problem+json and documenting it so.

The OpenAPI document is written when it is first read (`api.spec`), not while the app is built:
writing it is most of the cost of `create_app`, and most processes never serve it. Blueprints are
registered with Flask at once; their documentation waits in order and is written once, under a lock,
by the first reader (a request for /openapi.json, or code that reads `api.spec`), outside that request.
"""
import contextvars
import http
import threading

import flask_smorest
from apispec.ext.marshmallow import MarshmallowPlugin
from flask_smorest.utils import prepare_response

from civic.core.errors import ProblemSchema, handle_http_exception
from civic.core.openapi import ExamplesPlugin

DESCRIPTION = """One shared platform for a whole place. Every organisation (council departments,
the NHS, housing associations, voluntary groups) builds its public services from shared
components: booking, reporting, casework, payments and messages.

**Getting a token.** Ask your platform steward for a client id and secret, then:

    curl -u CLIENT_ID:CLIENT_SECRET -d grant_type=client_credentials \\
         -d scope="booking:read" https://YOUR-PLATFORM/oauth/token

Send the `access_token` you get back as `Authorization: Bearer <token>`.

**Guides**, step by step with curl: [Your first booking in 10 minutes](/docs/guides/first-booking),
[Sign your staff in](/docs/guides/sign-in-staff), [Onboard an organisation](/docs/guides/onboard-organisation),
[Take reports from FixMyStreet and any Open311 client](/docs/guides/open311).

**Errors** are always `application/problem+json` with a stable `code` you can test for; its `type`
is a page saying what it means and what to do, and [/problems](/problems) lists every code.
**Lists** are paginated with `limit` and the `next` cursor. **Retries** are safe for any
creating POST that carries an `Idempotency-Key` header.
"""


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ProblemSchema

    @property
    def spec(self):
        if self.__dict__.get("_undocumented") and self.__dict__.get("_documenting") != threading.get_ident():
            self._document()
        return self.__dict__.get("_spec")

    @spec.setter
    def spec(self, value):
        self.__dict__["_spec"] = value

    def later(self, write) -> None:
        """Queue `write()`, a change to the spec, for when the spec is first read."""
        self.__dict__.setdefault("_undocumented", []).append(write)

    def _document(self) -> None:
        with self.__dict__.setdefault("_documenting_lock", threading.Lock()):
            waiting = self.__dict__.get("_undocumented")
            if not waiting:
                return  # another thread wrote it meanwhile
            self.__dict__["_documenting"] = threading.get_ident()
            try:
                # In a context of its own, outside any request, so the document is the same whoever reads first
                # (no request's host in its examples).
                contextvars.Context().run(self._write, waiting)
            finally:
                self.__dict__["_documenting"] = None

    def _write(self, waiting: list) -> None:
        with self._app.app_context():
            while waiting:  # each write leaves the queue once done, so one that fails is not applied twice
                waiting[0]()
                waiting.pop(0)

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's, with the blueprint's documentation written when the spec is first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def write():
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})

        self.later(write)

    def _init_spec(self, **kwargs):
        """flask-smorest's spec, plus examples, error answers and who may call each operation."""
        ma_plugin = MarshmallowPlugin()
        extra = [*(kwargs.get("extra_plugins") or ()), ExamplesPlugin(ma_plugin)]
        kwargs.update(marshmallow_plugin=ma_plugin, extra_plugins=extra)
        super()._init_spec(**kwargs)

    def handle_http_exception(self, error):
        return handle_http_exception(error)

    def _register_responses(self):
        """Document every error response as application/problem+json."""
        for status in [*http.HTTPStatus, "DEFAULT_ERROR"]:
            name = getattr(status, "name", status)
            response = {"description": getattr(status, "phrase", "Error, as problem+json")}
            if name == "DEFAULT_ERROR" or not (100 <= status < 200 or status in (204, 304)):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, "application/problem+json")
            self.spec.components.response(name, response, lazy=True)


def api_config(app) -> None:
    app.config.setdefault("API_TITLE", "Civic Platform")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {
        "info": {"description": DESCRIPTION},
        "components": {"securitySchemes": {"oauth2": {
            "type": "oauth2",
            "description": "OAuth 2.0 access tokens from this platform's gateway.",
            "flows": {
                "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}},
                "authorizationCode": {"authorizationUrl": "/oauth/authorize", "tokenUrl": "/oauth/token",
                                      "refreshUrl": "/oauth/token", "scopes": {}},
            }}}},
    })
