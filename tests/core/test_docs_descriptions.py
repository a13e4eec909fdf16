"""Every operation says what it is for, who may call it and the errors it can answer with; every tag has a guide."""
import re

import pytest

from civic.core.errors import REGISTRY
from tests.core.test_docs_examples import operations

WHO = "**Who may call it:**"


@pytest.fixture
def spec(client):
    return client.get("/openapi.json").get_json()


def test_every_operation_has_a_summary_and_a_description_of_its_own(spec):
    bare = [name for name, operation in operations(spec)
            if not operation.get("summary") or not operation.get("description", "").split(WHO)[0].strip()]
    assert not bare, "write the rest of the docstring (what happens next, errors) for:\n" + "\n".join(bare)


def test_every_description_names_who_may_call_it(spec):
    for name, operation in operations(spec):
        description = operation["description"]
        scopes = {s for requirement in operation.get("security", []) for s in requirement.get("oauth2", [])}
        assert WHO in description, name
        assert all(f"`{scope}`" in description for scope in scopes), name
        if operation.get("security") == []:
            assert "no token is needed" in description, name


def test_the_error_codes_a_description_names_are_declared_and_documented(spec):
    for name, operation in operations(spec):
        named = re.findall(r"`([a-z_]+)`", "".join(re.findall(r"Errors:([^.]*)\.", operation["description"])))
        unknown = [code for code in named if code not in REGISTRY]
        assert not unknown, f"{name}: not declared: {unknown}"
        shown = {code for status, answer in operation["responses"].items() if status[0] in "45"
                 for media in answer.get("content", {}).values() for code in media.get("examples", {})}
        assert set(named) <= shown, (name, sorted(set(named) - shown))


def test_every_tag_carries_a_guide(spec):
    used = {tag for _name, operation in operations(spec) for tag in operation.get("tags", [])}
    described = {tag["name"] for tag in spec.get("tags", []) if len(tag.get("description", "")) > 40}
    assert used <= described, sorted(used - described)


# Not API operations: probes, the docs themselves and the error catalogue's pages.
UNDOCUMENTED = ("health.", "docs.", "api-docs.")


def test_every_route_is_in_the_spec(app, spec):
    """OAuth, its metadata and Open311 included; a bare Open311 path is its `.xml` form, documented as `.{fmt}`."""
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item if method in
                  ("get", "post", "put", "patch", "delete")}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith(UNDOCUMENTED):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", re.sub(r"<any\([^)]*\):", "<", rule.rule))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (path, method) not in documented and (path + ".{fmt}", method) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert not missing, missing
