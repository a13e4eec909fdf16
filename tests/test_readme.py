"""The README is part of the feature: its commands come first and every setting is documented."""
from pathlib import Path

from civic.config import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    assert "make run" in first_block and "make test" in first_block


def test_every_setting_is_in_the_configuration_table():
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [f"CIVIC_{name}" for name in SETTINGS if f"| `CIVIC_{name}` |" not in table]
    assert missing == []
