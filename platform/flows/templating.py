"""The input templates of automations and composed services: JSON with `{{ path }}` placeholders, rendered
without running any code.

A path names a value by keys and list positions, from the roots its user gives: for an automation
`event` (the CloudEvent that triggered the run: `event.data.report_id`, `event.subject`) and `steps` (an
earlier step's output: `steps.0.output.id`); for a composed service `form` (the citizen's answers),
`submission` (its `id`) and `steps`. A string that is one placeholder and nothing else takes the value as
it is (a number stays a number); a placeholder inside other text is replaced by the value's text (a list
of plain values joined with commas: "sofa, fridge"). There are no expressions, filters, loops or calls:
a path either names a value or rendering fails with `Unfilled`.
"""
import json
import re

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
PART = re.compile(r"^[A-Za-z0-9_]{1,100}$")
MAX_DEPTH = 12
AUTOMATION_ROOTS = ("event", "steps")
EXAMPLES = {"event": "event.data.report_id", "form": "form.email", "submission": "submission.id",
            "steps": "steps.0.output.id"}


class Unfilled(ValueError):
    """A placeholder names no value (or the template is not valid)."""


def paths(template) -> list[str]:
    """Every placeholder's path in a template (strings, lists and objects, however nested)."""
    found: list[str] = []

    def walk(value, depth):
        if depth > MAX_DEPTH:
            raise Unfilled("The input is nested too deeply.")
        if isinstance(value, str):
            if value.count("{{") != len(PLACEHOLDER.findall(value)):
                raise Unfilled(f"A placeholder is not closed with }}}} in {value[:60]!r}.")
            found.extend(match.group(1) for match in PLACEHOLDER.finditer(value))
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner, depth + 1)
        elif isinstance(value, list):
            for inner in value:
                walk(inner, depth + 1)

    walk(template, 0)
    return found


def check(template, *, step: int, roots: tuple[str, ...] = AUTOMATION_ROOTS) -> None:
    """Refuse a template whose placeholders are not paths from `roots`, or that names this step's or a later
    one's output (`step`: the first step whose output it may not use)."""
    for path in paths(template):
        parts = path.split(".")
        if parts[0] not in roots or len(parts) > MAX_DEPTH + 1 or not all(PART.match(part) for part in parts):
            raise Unfilled(f"`{{{{ {path} }}}}` is not a path such as {' or '.join(EXAMPLES[root] for root in roots)}.")
        if parts[0] == "steps" and (len(parts) < 3 or not parts[1].isdigit() or int(parts[1]) >= step
                                    or parts[2] != "output"):
            raise Unfilled(f"`{{{{ {path} }}}}`: a step can use the output of an earlier step only "
                           f"(steps.N.output..., N below {step}).")


def _lookup(path: str, context: dict):
    value = context
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            raise Unfilled(f"`{{{{ {path} }}}}` names nothing: there is no such field here.")
    return value


def render(template, context: dict, *, keep_unknown_steps: bool = False):
    """The template with its placeholders filled from `context` ({"event": ..., "steps": [...]}).

    `keep_unknown_steps`: leave placeholders of steps' outputs as they are (a dry run has no outputs)."""
    def fill(text: str):
        whole = PLACEHOLDER.fullmatch(text.strip())
        if whole:
            return value_of(whole.group(1), text)
        return PLACEHOLDER.sub(lambda m: _text(value_of(m.group(1), m.group(0))), text)

    def value_of(path: str, original: str):
        if keep_unknown_steps and path.startswith("steps."):
            return original
        return _lookup(path, context)

    def walk(value):
        if isinstance(value, str):
            return fill(value)
        if isinstance(value, dict):
            return {key: walk(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [walk(inner) for inner in value]
        return value

    return walk(template)


def _text(value) -> str:
    """A value as it reads inside text: a list of plain values joined with commas ("sofa, fridge"), an object
    or a list of objects as JSON, anything else as itself."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, (str, int, float)) and not isinstance(item, bool)
                                       for item in value):
        return ", ".join(_text(item) for item in value)
    return json.dumps(value, ensure_ascii=False)
