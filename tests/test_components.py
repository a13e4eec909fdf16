"""Components are found by convention: a folder under platform/ with an init_app is one, everywhere."""
import tomllib
from pathlib import Path

from civic import config

ROOT = Path(__file__).resolve().parent.parent


def linter() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]


def component_folders() -> set[str]:
    return {p.parent.name for p in (ROOT / "platform").glob("*/__init__.py")
            if p.parent.name != "core" and "def init_app(" in p.read_text()}


def test_the_components_are_the_folders_with_an_init_app():
    assert set(config.ALL_COMPONENTS) == component_folders()
    assert config.load({"ENV": "test"})["COMPONENTS"] == sorted(component_folders())


def contracts() -> dict[str, object]:
    """pyproject's import contracts of the project's own types, made as lint-imports makes them."""
    import importlib

    settings = linter()
    types = {}
    for line in settings.get("contract_types", []):
        name, path = line.split(": ")
        module, cls = path.rsplit(".", 1)
        types[name] = getattr(importlib.import_module(module), cls)
    session = {k: v for k, v in settings.items() if k != "contracts"}
    return {c["type"]: types[c["type"]](c["name"], session, {k: v for k, v in c.items() if k not in ("name", "type")})
            for c in settings["contracts"] if c["type"] in types}


def test_every_component_is_in_the_import_linter_contracts():
    """The contracts name no component: `civic.<component>` covers each folder, so a new one needs no edit."""
    made = contracts()
    independence = {str(m) for m in made["independence_of_components"].modules}
    gateway = made["forbidden_to_components"]
    sources, forbidden = {str(m) for m in gateway.source_modules}, {str(m) for m in gateway.forbidden_modules}
    assert forbidden == {"civic.gateway"} and "civic.core" in sources
    roots = linter()["root_packages"]
    for name in component_folders():
        module = f"civic.{name}"
        assert any(module.startswith(root + ".") for root in roots), f"{module} is under no root package"
        assert module in independence, f"{module} is missing from the independence contract"
        assert module in sources, f"{module} is missing from the contract forbidding the gateway"
    assert independence == {f"civic.{name}" for name in component_folders()}
    text = (ROOT / "pyproject.toml").read_text()
    assert not [name for name in component_folders() if f'"civic.{name}"' in text], "pyproject names a component"


def test_scopes_exist_only_for_components_that_exist():
    from civic.gateway.service import KNOWN_SCOPES

    components = {s.split(":")[0] for s in KNOWN_SCOPES} - {"clients", "platform"}
    assert components == component_folders()


def test_each_component_declares_its_own_settings_in_its_folder():
    declared = config.all_settings()
    for name in component_folders():
        for setting in config.component_settings(name):
            assert setting.startswith(f"{name.upper()}_"), f"{setting} belongs to {name}: name it {name.upper()}_..."
            assert setting not in config.SETTINGS, f"{setting} is declared twice"
    assert set(declared) >= set(config.SETTINGS)
    assert not [name for name in config.SETTINGS if name.startswith(tuple(f"{c.upper()}_" for c in component_folders()))]


def test_no_call_site_restates_a_declared_default():
    """`config.get("X", default)` for a declared X would let the code and the README disagree."""
    import re

    declared = set(config.all_settings())
    found = []
    for path in [*(ROOT / "platform").rglob("*.py"), *(ROOT / "gateway").rglob("*.py")]:
        for name in re.findall(r'config\.get\(\s*"([A-Z_]+)"\s*,', path.read_text()):
            if name in declared:
                found.append(f"{path.relative_to(ROOT)}: {name}")
    assert found == []
