"""create_app(): settings, the core kernel, the gateway, then each enabled component."""
import importlib
import logging
import os
from pathlib import Path

from flask import Flask

from civic import config as settings
from civic.core import auth, db, docs, edge, errors, jobs, lifecycle, observability
from civic.core import audit, events, idempotency  # noqa: F401  (their tables are part of every app's models)
from civic.core.api import Api, api_config
from civic.core.auth import public

log = logging.getLogger("civic.app")
DEFAULT_SECRET_WARNING = ("CIVIC_SECRET_KEY is not set: sessions and CSRF tokens are signed with the well-known "
                          "development secret, so anyone can forge them. Set CIVIC_SECRET_KEY to 32+ random characters.")


def create_app(config: dict | None = None) -> Flask:
    """Build the platform app. `config` overrides CIVIC_* environment settings (tests use it)."""
    values = settings.load(config)
    # `civic` is a namespace package (no platform/__init__.py), so Flask needs its paths given.
    app = Flask("civic", root_path=str(Path(__file__).parent), static_folder=None,
                instance_path=str(Path(os.environ.get("CIVIC_INSTANCE_PATH", "instance")).resolve()))
    app.config.update(values)
    app.config["MAX_CONTENT_LENGTH"] = values["MAX_CONTENT_LENGTH"]
    app.config["TESTING"] = values["ENV"] == "test"
    app.json.sort_keys = False
    api_config(app)

    observability.init_app(app)
    if settings.is_default_secret(values):
        log.warning(DEFAULT_SECRET_WARNING)
    edge.init_app(app)
    db.init_app(app)
    lifecycle.init_app(app)
    auth.init_app(app)  # before the gateway's rate limiter: it spends the validated caller's budget
    api = Api(app)
    spec_view = app.view_functions["api-docs.openapi_json"]
    app.view_functions["api-docs.openapi_json"] = public(lambda: spec_view())  # the spec is public
    errors.init_app(app)
    jobs.init_app(app)
    app.register_blueprint(docs.docs)

    from civic import gateway

    gateway.init_app(app, api)
    app.extensions["civic.components"] = []
    for name in app.config["COMPONENTS"]:  # each one found by civic.config.discover_components()
        importlib.import_module(f"civic.{name}").init_app(app, api)
        app.extensions["civic.components"].append(name)
    api.register_blueprint(importlib.import_module("civic.core.event_routes").blp)
    return app
