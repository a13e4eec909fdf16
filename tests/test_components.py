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


def test_every_component_is_in_the_import_linter_contracts():
    settings = linter()
    independence = next(c for c in settings["contracts"] if c["type"] == "independence")
    gateway = next(c for c in settings["contracts"] if c["type"] == "forbidden")
    for name in component_folders():
        module = f"civic.{name}"
        assert module in settings["root_packages"], f"add {module} to [tool.importlinter] root_packages"
        assert module in independence["modules"], f"add {module} to the independence contract"
        assert module in gateway["source_modules"], f"add {module} to the contract forbidding the gateway"


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
