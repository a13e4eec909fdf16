"""The error catalogue: every code raised is declared, every declared code is raised, and each resolves.

The source is read as code (AST), so a component written later is held to it by convention: its
codes are declared with `declare(...)` in its own `problems.py`, and raised through those objects.
"""
import ast
import pathlib

import pytest

from civic.core.errors import REGISTRY
from tests.conftest import config_for
from tests.core.conftest import assert_problem

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("platform/**/*.py"), *ROOT.glob("gateway/**/*.py")])
BUILDS_PROBLEMS = {ROOT / "platform/core/errors.py"}  # ProblemType and the handlers build Problems from codes


def _tree(path: pathlib.Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _name(call: ast.Call) -> str | None:
    func = call.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _declarations() -> dict:
    """code -> (status, holder name, file) for every `declare(...)` in a problems.py."""
    found = {}
    for path in (p for p in SOURCES if p.name == "problems.py"):
        for statement in _tree(path).body:
            holder = statement.targets[0].id if isinstance(statement, ast.Assign) and \
                isinstance(statement.targets[0], ast.Name) else None
            for node in ast.walk(statement):
                if isinstance(node, ast.Call) and _name(node) == "declare":
                    code, status = node.args[0], node.args[1]
                    assert isinstance(code, ast.Constant) and isinstance(status, ast.Constant), \
                        f"{path}: declare() takes a literal code and status"
                    assert code.value not in found, f"{code.value!r} is declared twice"
                    assert holder, f"{path}: {code.value!r} is declared without a module-level name"
                    found[code.value] = (status.value, holder, path)
    return found


def _references() -> dict:
    """name -> files where it is read (as `x.NAME`, `NAME` or `from ... import NAME`)."""
    seen: dict = {}
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            names = [node.attr] if isinstance(node, ast.Attribute) else [node.id] if isinstance(node, ast.Name) and \
                isinstance(node.ctx, ast.Load) else [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                seen.setdefault(name, set()).add(path)
    return seen


def test_every_declared_code_is_in_a_problems_module_and_in_the_registry(app):
    declared = _declarations()
    assert set(declared) == set(REGISTRY), "every code is declared with declare() in a problems.py"
    for code, (status, _holder, _path) in declared.items():
        assert REGISTRY[code].status == status
        kind = REGISTRY[code]
        assert kind.title and kind.means and kind.action, f"{code}: say what it means and what to do"


def test_every_code_raised_anywhere_is_declared(app):
    wrong = []
    for path in SOURCES:
        for node in ast.walk(_tree(path)):
            if not (isinstance(node, ast.Call) and _name(node) in ("Problem", "problem_response")):
                continue
            if len(node.args) < 2 or not isinstance(node.args[1], ast.Constant):
                if path not in BUILDS_PROBLEMS:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: raise a declared code, not a computed one")
                continue
            status, code = node.args[0], node.args[1].value
            if code not in REGISTRY:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {code!r} is not declared")
            elif isinstance(status, ast.Constant) and status.value != REGISTRY[code].status:
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {code!r} is declared as {REGISTRY[code].status}")
    assert not wrong, "\n".join(wrong)


def test_every_declared_code_is_raised_somewhere(app):
    references = _references()
    declared = _declarations()
    holders = {holder: path for _status, holder, path in declared.values()}
    used = {h for h, path in holders.items() if references.get(h, set()) - {path}}
    # A code gathered into another declared name (a lookup table such as BY_HTTP_STATUS) counts if that one is used.
    for path in {path for path in holders.values()}:
        for statement in _tree(path).body:
            if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name) and \
                    (statement.targets[0].id in used or references.get(statement.targets[0].id, set()) - {path}):
                used |= {n.id for n in ast.walk(statement.value) if isinstance(n, ast.Name) and n.id in holders}
    raised_literally = {node.args[1].value for path in SOURCES for node in ast.walk(_tree(path))
                        if isinstance(node, ast.Call) and _name(node) == "Problem" and len(node.args) > 1
                        and isinstance(node.args[1], ast.Constant)}
    unused = sorted(code for code, (_s, holder, _p) in declared.items()
                    if holder not in used and code not in raised_literally)
    assert not unused, f"declared but never raised: {unused}"


def test_a_problem_type_is_a_page_on_this_platform_saying_what_to_do(client):
    body = assert_problem(client.get("/v1/booking/no-such-thing"), 404, "not_found")
    assert body["type"] == "http://localhost/problems/not_found"
    page = client.get(body["type"].removeprefix("http://localhost"))
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert REGISTRY["not_found"].action in page.get_data(as_text=True)
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


def test_a_problem_page_answers_json_to_programs(client):
    answer = client.get("/problems/slot_unavailable", headers={"Accept": "application/json"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.get_json() == {**REGISTRY["slot_unavailable"].describe(),
                                 "type": "http://localhost/problems/slot_unavailable"}
    assert "Accept" in answer.headers["Vary"]


def test_the_catalogue_lists_every_code_both_ways(client):
    listed = client.get("/problems", headers={"Accept": "application/json"}).get_json()["items"]
    assert [item["code"] for item in listed] == sorted(REGISTRY)
    html = client.get("/problems").get_data(as_text=True)
    assert all(f'id="{code}"' in html for code in REGISTRY)


@pytest.mark.parametrize("path", ["/problems/no_such_code", "/problems/%3Cscript%3E"])
def test_an_unknown_code_is_a_404_problem(client, path):
    assert_problem(client.get(path), 404, "not_found")


def test_the_problem_type_uses_the_configured_public_url(database_url):
    from civic.app import create_app

    app = create_app(config_for(database_url, ISSUER="https://api.riverside.example"))
    body = app.test_client().get("/v1/no-such-thing").get_json()
    app.extensions["civic.engine"].dispose()
    assert body["type"] == "https://api.riverside.example/problems/not_found"
