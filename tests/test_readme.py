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
