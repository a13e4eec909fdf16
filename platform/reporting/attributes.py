"""Open311 attributes: a category's extra questions, and checking the answers to them."""
import datetime as dt

from civic.reporting import problems

DESCRIPTION_MAX = 4000  # Open311's limit for a report's description
ANSWER_MAX = 4000


def normalise_definitions(definitions: list[dict]) -> list[dict]:
    """Attributes in display order, each with a distinct positive `order`."""
    ordered = sorted(definitions, key=lambda a: (a.get("order") is None, a.get("order") or 0))
    result, used = [], set()
    for attribute in ordered:
        order = attribute.get("order")
        if order is None or order in used:
            order = max(used, default=0) + 1
        used.add(order)
        result.append({"code": attribute["code"], "datatype": attribute["datatype"],
                       "required": bool(attribute.get("required")), "variable": attribute.get("variable", True),
                       "order": order, "description": attribute["description"],
                       "datatype_description": attribute.get("datatype_description"),
                       "values": [dict(v) for v in attribute.get("values") or []]})
    return result


def _one(value):
    if isinstance(value, list):
        if len(value) != 1:
            raise ValueError("Give one value.")
        return value[0]
    return value


def _check(definition: dict, value):
    """The cleaned answer, or ValueError saying what is wrong."""
    datatype = definition["datatype"]
    keys = [str(v["key"]) for v in definition.get("values") or []]
    if datatype == "multivaluelist":
        values = [str(v) for v in (value if isinstance(value, list) else [value])]
        wrong = [v for v in values if v not in keys]
        if wrong:
            raise ValueError(f"Not one of the choices: {', '.join(wrong)}.")
        return values
    value = _one(value)
    if datatype == "singlevaluelist":
        if str(value) not in keys:
            raise ValueError(f"Choose one of: {', '.join(keys)}.")
        return str(value)
    if datatype == "number":
        if isinstance(value, bool):
            raise ValueError("Must be a number.")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("Must be a number.") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("Must be a number.")
        return int(number) if number.is_integer() else number
    if datatype == "datetime":
        try:
            moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("Must be a date and time like 2026-01-31T09:30:00Z.") from None
        if moment.tzinfo is None:
            raise ValueError("Include a time zone (Z or +01:00).")
        return moment.isoformat()
    if not isinstance(value, str):
        raise ValueError("Must be text.")
    if len(value) > ANSWER_MAX:
        raise ValueError(f"At most {ANSWER_MAX} characters.")
    if datatype == "string" and ("\n" in value or "\r" in value):
        raise ValueError("One line only (no line breaks).")
    return value


def validate_answers(definitions: list[dict], answers: dict, *, strict: bool = True) -> dict:
    """Answers checked against the category's attributes; a 422 problem names each fault.

    `strict=False` (Open311) drops answers to questions the category does not ask, since
    clients such as FixMyStreet send extra attributes of their own.
    """
    by_code = {d["code"]: d for d in definitions if d.get("variable", True)}
    errors, clean = {}, {}
    for code, value in answers.items():
        if code not in by_code:
            if strict:
                errors[f"attributes.{code}"] = ["This category does not ask this."]
            continue
        if value is None or value == "" or value == []:
            continue
        try:
            clean[code] = _check(by_code[code], value)
        except ValueError as exc:
            errors[f"attributes.{code}"] = [str(exc)]
    for code, definition in by_code.items():
        if definition.get("required") and code not in clean and f"attributes.{code}" not in errors:
            errors[f"attributes.{code}"] = ["Required."]
    if errors:
        missing = all(messages == ["Required."] for messages in errors.values())
        raise (problems.MISSING_ATTRIBUTE if missing else problems.INVALID_ATTRIBUTE)(
            "Some answers to the category's questions are missing or not valid.", errors=errors)
    return clean
