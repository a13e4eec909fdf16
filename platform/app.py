"""create_app(): settings, the core kernel, the gateway, then each enabled component."""
import importlib
import importlib.util
import os
from pathlib import Path

from flask import Flask

from civic import config as settings
from civic.core import db, docs, errors, lifecycle, observability
from civic.core.api import Api, api_config


def create_app(config: dict | None = None) -> Flask:
    """Build the platform app. `config` overrides CIVIC_* environment settings (tests use it)."""
    values = settings.load(config)
    # `civic` is a namespace package (no platform/__init__.py), so Flask needs its paths given.
    app = Flask("civic", root_path=str(Path(__file__).parent),
                instance_path=str(Path(os.environ.get("CIVIC_INSTANCE_PATH", "instance")).resolve()))
    app.config.update(values)
    app.config["MAX_CONTENT_LENGTH"] = values["MAX_CONTENT_LENGTH"]
    app.config["TESTING"] = values["ENV"] == "test"
    app.json.sort_keys = False
    api_config(app)

    observability.init_app(app)
    db.init_app(app)
    lifecycle.init_app(app)
    api = Api(app)
    errors.init_app(app)
    app.register_blueprint(docs.docs)

    from civic import gateway

    gateway.init_app(app, api)
    app.extensions["civic.components"] = []
    for name in app.config["COMPONENTS"]:
        if importlib.util.find_spec(f"civic.{name}") is None:
            continue  # not built yet
        importlib.import_module(f"civic.{name}").init_app(app, api)
        app.extensions["civic.components"].append(name)
    return app
