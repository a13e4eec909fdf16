"""The README is part of the feature: its commands come first and every setting is documented."""
from pathlib import Path

from civic import config

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def configuration_table() -> str:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "".join(line + "\n" for line in section.splitlines() if line.startswith("|"))


def test_every_setting_is_in_the_configuration_table():
    table = configuration_table()
    missing = [f"CIVIC_{name}" for name in config.all_settings() if f"| `CIVIC_{name}` |" not in table]
    assert missing == []


def test_the_configuration_table_is_the_declared_settings_row_by_row():
    """Defaults and wording included: regenerate it with `python -m civic.config`."""
    assert configuration_table().splitlines() == config.readme_table().splitlines()


COMPONENT_PATHS = ("booking", "reporting", "casework", "payments", "notify", "flows", "privacy")


def test_every_curl_against_the_demo_place_uses_a_token_that_holds_its_scope():
    """Each README example runs against `make run`'s demo place: its token's client must hold the scope."""
    import re

    from civic.demo import PLACE, STEWARD

    held = {f"demo-{slug}": set(scopes) for slug, _, _, scopes in [*PLACE, STEWARD]}
    commands = re.sub(r"\\\n\s*", " ", "\n".join(block for i, block in enumerate(README.split("```")) if i % 2))
    tokens = {}
    for name, client_id, rest in re.findall(r'^(\w+)=\$\(curl -s -u ([\w-]+):[\w-]+ ([^\n]*oauth/token)', commands, re.M):
        assert client_id in held, f"{name}: {client_id} is not a demo client"
        asked = re.search(r'-d scope="([^"]+)"', rest)
        wanted = set(asked.group(1).split()) if asked else held[client_id]
        assert wanted <= held[client_id], f"{name} asks {client_id} for {sorted(wanted - held[client_id])}"
        tokens[name] = wanted
    assert {"COUNCIL", "STEWARD", "FLOWS"} <= set(tokens)
    checked = 0
    for name, component in re.findall(r'Bearer \$(\w+)[^\n]*?/v1/(\w+)/', commands):
        if component in COMPONENT_PATHS and name in tokens:
            assert tokens[name] & {f"{component}:read", f"{component}:write", "platform:admin"}, \
                f"${name} cannot call /v1/{component}/"
            checked += 1
    assert checked >= 20
