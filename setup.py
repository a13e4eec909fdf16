"""The package list, found from the folders (pyproject.toml holds everything else).

pyproject.toml maps three folders to import names (`platform` is `civic`, `gateway` is `civic.gateway`,
`migrations` is `civic.migrations`). setuptools' own `packages.find` names what it finds after the
folder (`booking`, not `civic.booking`), so the list is made here: every package under each mapped
folder, named under its import name. A new component folder is shipped without editing anything.
"""
from setuptools import find_packages, setup

ROOTS = {"civic": "platform", "civic.gateway": "gateway", "civic.migrations": "migrations"}


def packages() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        found += [name, *(f"{name}.{sub}" for sub in find_packages(folder))]
    return sorted(found)


setup(packages=packages())
