"""Helpers shared by the core's tests: fresh apps, row counts, the problem+json shape."""
import os
import subprocess
import sys
import uuid

import flask
import pytest
import sqlalchemy as sa

from tests.conftest import TEST_SECRET, config_for

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code"}


def assert_problem(response, status: int, code: str | None = None) -> dict:
    """The response is RFC 9457 problem+json with our stable fields, and no stack trace."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json(force=True)
    assert PROBLEM_FIELDS <= set(body), body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "File \"" not in text
    return body


def count(app, table: str) -> int:
    with app.extensions["civic.engine"].connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()


@pytest.fixture
def new_app(database_url):
    """Build another app on the test database: `new_app(COMPONENTS=[...])`."""
    from civic.app import create_app

    apps = []

    def build(**overrides):
        application = create_app(config_for(database_url, **overrides))
        apps.append(application)
        return application

    yield build
    for application in apps:
        application.extensions["civic.engine"].dispose()


@pytest.fixture
def app_with_route(new_app):
    """An app with one extra route, for a test: `app_with_route("/v1/boom", view, methods=["POST"])`.

    `view` is a function or a MethodView class; settings overrides go in as keywords.
    """

    def build(rule: str, view, methods=("GET",), **overrides):
        application = new_app(**overrides)
        blueprint = flask.Blueprint(f"test_{uuid.uuid4().hex[:8]}", __name__)
        if isinstance(view, type):
            blueprint.add_url_rule(rule, view_func=view.as_view("view"))
        else:
            blueprint.add_url_rule(rule, view_func=view, methods=list(methods))
        application.register_blueprint(blueprint)
        return application

    return build


def civic_env(database_url: str, **extra: str) -> dict:
    """Environment for a `civic` subprocess on the test database."""
    return {**os.environ, "CIVIC_ENV": "test", "CIVIC_DATABASE_URL": database_url, "CIVIC_SECRET_KEY": TEST_SECRET,
            "CIVIC_LOG_LEVEL": "WARNING", **extra}


def civic(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run the `civic` command as a user would (the installed console script's module)."""
    return subprocess.run([sys.executable, "-m", "civic.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
