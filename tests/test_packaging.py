"""The distribution ships every folder of code, and never hides the standard library's `platform`."""
import importlib.metadata
import os
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Folder -> import name, as DESIGN.md section 2 maps them.
ROOTS = {"platform": "civic", "gateway": "civic.gateway", "migrations": "civic.migrations"}


def code_folders() -> dict[str, Path]:
    """Every folder under platform/ and gateway/ holding .py files, by the import name it must have."""
    found = {}
    for folder, name in ROOTS.items():
        base = ROOT / folder
        for path in [base, *sorted(p for p in base.rglob("*") if p.is_dir())]:
            if "__pycache__" in path.parts or not any(path.glob("*.py")):
                continue
            found[".".join([name, *path.relative_to(base).parts])] = path
    return found


def declared_packages() -> set[str]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return set(tomllib.load(f)["tool"]["setuptools"]["packages"])


def test_the_distribution_is_installed_under_its_name():
    dist = importlib.metadata.distribution("civic-platform")
    assert dist.metadata["Name"] == "civic-platform"
    assert any(ep.name == "civic" and ep.value == "civic.cli:main" for ep in dist.entry_points)


def test_every_code_folder_is_a_declared_package():
    missing = set(code_folders()) - declared_packages()
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_every_code_folder_imports_from_the_installed_distribution(tmp_path):
    """Run from elsewhere, so only the installed distribution (not the checkout on sys.path) can answer."""
    folders = code_folders()
    script = (
        "import importlib, json, sys\n"
        "out = {}\n"
        f"for name in {sorted(folders)!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    out[name] = list(getattr(module, '__path__', []))\n"
        "print(json.dumps(out))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    import json

    paths = json.loads(result.stdout)
    for name, folder in folders.items():
        assert str(folder) in paths[name], f"{name} does not come from {folder}: {paths[name]}"


def test_platform_is_the_standard_library_module():
    import platform

    assert callable(platform.python_version)
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(platform.__file__).resolve().parent == stdlib


@pytest.mark.parametrize("runner", [["pytest"], ["python", "-m", "pytest"]], ids=["pytest", "python -m pytest"])
def test_platform_is_the_standard_library_module_however_pytest_is_started(runner):
    if os.environ.get("CIVIC_PACKAGING_CHILD"):
        pytest.skip("already inside the child run")
    bindir = Path(sys.executable).parent
    command = [str(bindir / "pytest")] if runner == ["pytest"] else [sys.executable, "-m", "pytest"]
    result = subprocess.run(
        [*command, "tests/test_packaging.py", "-k", "test_platform_is_the_standard_library_module and not however"],
        cwd=ROOT, env={**os.environ, "CIVIC_PACKAGING_CHILD": "1"}, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout
