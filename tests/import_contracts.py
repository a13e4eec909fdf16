"""import-linter's own contract types, over every component: `civic.<component>` in a module list.

pyproject.toml's contracts name `civic.<component>` where they mean "each component": it stands for
every folder `civic.config` finds as one (a folder under platform/ whose `__init__.py` defines
`init_app`), so a new component is held to the contracts the moment its folder exists, with no list
to edit. Everything else is import-linter's `independence` and `forbidden` contracts as they are.
"""
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.independence import IndependenceContract

EVERY_COMPONENT = "civic.<component>"


def expand(modules: list[str]) -> list[str]:
    """The module list with `civic.<component>` replaced by each component's package."""
    from civic.config import ALL_COMPONENTS

    found: list[str] = []
    for module in modules:
        found += [f"civic.{name}" for name in ALL_COMPONENTS] if module == EVERY_COMPONENT else [module]
    return found


class _OverComponents:
    EXPANDED: tuple[str, ...] = ()

    def __init__(self, name, session_options, contract_options):
        options = {key: expand(value) if key in self.EXPANDED else value for key, value in contract_options.items()}
        super().__init__(name, session_options, options)


class IndependenceOfComponents(_OverComponents, IndependenceContract):
    """import-linter's `independence`, where `modules` may say `civic.<component>`."""

    EXPANDED = ("modules",)


class ForbiddenToComponents(_OverComponents, ForbiddenContract):
    """import-linter's `forbidden`, where `source_modules` may say `civic.<component>`."""

    EXPANDED = ("source_modules",)
