"""The distribution ships every folder of code (found from the folders, built as a wheel and installed),
and never hides the standard library's `platform`."""
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
with open(ROOT / "pyproject.toml", "rb") as _f:
    # Folder -> import name, as [tool.setuptools] package-dir maps them.
    ROOTS = {folder: name for name, folder in tomllib.load(_f)["tool"]["setuptools"]["package-dir"].items()}
# What the built distribution must carry besides code, by folder.
PACKAGE_DATA = ("gateway/templates/*.html", "migrations/script.py.mako")
SOURCE = ("pyproject.toml", "setup.py", "README.md", *ROOTS)


def code_folders(root: Path = ROOT) -> dict[str, Path]:
    """Every folder under the mapped folders holding .py files, by the import name it must have."""
    found = {}
    for folder, name in ROOTS.items():
        base = root / folder
        for path in [base, *sorted(p for p in base.rglob("*") if p.is_dir())]:
            if "__pycache__" in path.parts or not any(path.glob("*.py")):
                continue
            found[".".join([name, *path.relative_to(base).parts])] = path
    return found


def installed_path(path: Path, root: Path = ROOT) -> str:
    """Where a file of the checkout sits in the installed distribution: platform/core/db.py is civic/core/db.py."""
    relative = path.relative_to(root)
    return "/".join([*ROOTS[relative.parts[0]].split("."), *relative.parts[1:]])


def copy_source(target: Path) -> Path:
    """The files a distribution is built from, copied (a build must not leave build/ in the checkout)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCE:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(ROOT / name, target / name)
    return target


def build(source: Path, out: Path) -> Path:
    """A wheel built by pip from `source`, as `pip install .` builds one (pyproject's build backend)."""
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (wheel,) = out.glob("civic_platform-*.whl")
    return wheel


def run_installed(site: Path, script: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run `script` where civic is only the unpacked wheel in `site`; the dependencies come from this venv.

    Python runs isolated (-I: no site, so this venv's editable finder for the checkout is not loaded);
    the venv's site-packages is put after `site` as a plain path entry.
    """
    prelude = (f"import sys; sys.path[:0] = [{str(site)!r}]; sys.path.append({sysconfig.get_paths()['purelib']!r})\n")
    return subprocess.run([sys.executable, "-I", "-c", prelude + script], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build(copy_source(tmp_path_factory.mktemp("source")), tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    return target


def test_the_distribution_is_installed_under_its_name():
    dist = importlib.metadata.distribution("civic-platform")
    assert dist.metadata["Name"] == "civic-platform"
    assert any(ep.name == "civic" and ep.value == "civic.cli:main" for ep in dist.entry_points)


def test_every_code_folder_imports_from_the_editable_install(tmp_path):
    """Run from elsewhere, so only the editable install (not the checkout on sys.path) can answer."""
    folders = code_folders()
    script = (
        "import importlib, json\n"
        f"print(json.dumps({{name: list(getattr(importlib.import_module(name), '__path__', [])) for name in {sorted(folders)!r}}}))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    paths = json.loads(result.stdout)
    for name, folder in folders.items():
        assert str(folder) in paths[name], f"{name} does not come from {folder}: {paths[name]}"


def test_the_wheel_carries_every_code_file_and_the_package_data(wheel):
    """The package list is found from the folders (setup.py): nothing to add for a new folder."""
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = {installed_path(p) for folder in code_folders().values() for p in folder.glob("*.py")}
    expected |= {installed_path(p) for pattern in PACKAGE_DATA for p in ROOT.glob(pattern)}
    assert len(expected) > 80 and {"civic/gateway/templates/signin.html", "civic/migrations/script.py.mako"} <= expected
    assert not expected - shipped, f"missing from the wheel: {sorted(expected - shipped)}"


def test_the_installed_distribution_imports_every_package_and_finds_the_components(site, tmp_path):
    """Installed (not editable), every package comes from the wheel, and the components are the same ones."""
    folders = code_folders()
    script = (
        "import importlib, json\n"
        f"files = {{name: importlib.import_module(name).__file__ for name in {sorted(folders)!r}}}\n"
        "from civic import config\n"
        "print(json.dumps({'files': files, 'components': list(config.ALL_COMPONENTS)}))\n")
    result = run_installed(site, script, tmp_path)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    for name, file in answer["files"].items():
        if file is not None:  # civic itself is a namespace package: no file of its own
            assert Path(file).is_relative_to(site), f"{name} came from {file}, not the installed wheel"
    from civic import config

    assert answer["components"] == list(config.ALL_COMPONENTS)


def test_the_installed_distribution_migrates_a_database_and_serves(site, tmp_path):
    """The migrations and the sign-in page's templates are package data: installed, they are found."""
    script = (
        "from civic.app import create_app\n"
        "from civic.core import db, migrate\n"
        f"url = 'sqlite:///{tmp_path / 'civic.db'}'\n"
        "engine = db.create_engine(url); migrate.upgrade(engine); engine.dispose()\n"
        "app = create_app({'ENV': 'test', 'DATABASE_URL': url, 'SECRET_KEY': 'x' * 48})\n"
        "page = app.test_client().get('/oauth/authorize?client_id=nobody')\n"
        "print(page.status_code, page.mimetype)\n")
    result = run_installed(site, script, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["400", "text/html"]  # error.html, rendered from the wheel


def test_a_new_component_folder_is_shipped_and_held_to_the_import_contracts_with_no_edit(tmp_path):
    """A copy of the source with one more component folder, and no other change: it is in the wheel, and
    the import contracts check it (it imports another component and the gateway: both are refused)."""
    source = copy_source(tmp_path / "source")
    shutil.copytree(ROOT / "tests", source / "tests", ignore=lambda folder, names: [
        n for n in names if n not in ("__init__.py", "import_contracts.py")])
    (source / "platform" / "sample").mkdir()
    (source / "platform" / "sample" / "__init__.py").write_text(
        "import civic.booking.models\nimport civic.gateway.models\n\n\ndef init_app(app, api) -> None:\n    pass\n")
    wheel = build(source, tmp_path / "dist")
    with zipfile.ZipFile(wheel) as archive:
        assert "civic/sample/__init__.py" in archive.namelist()
        archive.extractall(tmp_path / "site")
    lint = "sys.argv = ['lint-imports', '--no-cache']\nfrom importlinter.cli import lint_imports_command\nlint_imports_command()\n"
    result = run_installed(tmp_path / "site", lint, source)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    report = " ".join(result.stdout.split())
    assert "civic.sample is not allowed to import civic.booking" in report
    assert "civic.sample is not allowed to import civic.gateway" in report
    assert "Contracts: 0 kept, 2 broken." in report


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
