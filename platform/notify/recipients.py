"""Who a message goes to and what fills its template, checked before anything is queued.

One rule each (civic.core.contact): an email address, a UK (or +international) phone number, a letter's
address (2 to 6 lines, then a UK postcode line). Used by single sends and by every row of a batch.
"""
import hashlib
import hmac

from civic.core import contact, crypto

MAX_ADDRESS_LINES = 7
# Notify's documented simulated numbers: accepted by every key, never sent to a phone. They sit in
# Ofcom's drama range, which the core's phone rule (rightly) refuses for real people.
SIMULATED_NUMBERS = {"07700900000", "07700900111", "07700900222", "07700900002", "07700900003"}


def phone(value: str) -> str:
    compact = "".join(value.split())
    if compact in SIMULATED_NUMBERS or compact.replace("+44", "0", 1) in SIMULATED_NUMBERS:
        return "+44" + compact.replace("+44", "0", 1)[1:]
    return contact.phone(value)


def check(channel: str, item: dict) -> tuple[str | None, list | None, dict]:
    """(recipient, address lines, errors by field) for one message of `channel`."""
    errors: dict = {}
    recipient = address = None
    if channel == "email":
        if not item.get("email_address"):
            errors["email_address"] = ["An email template needs an email_address."]
        else:
            try:
                recipient = contact.email(str(item["email_address"]))
            except contact.InvalidContact as exc:
                errors["email_address"] = [str(exc)]
    elif channel == "sms":
        if not item.get("phone_number"):
            errors["phone_number"] = ["A text message template needs a phone_number."]
        else:
            try:
                recipient = phone(str(item["phone_number"]))
            except contact.InvalidContact as exc:
                errors["phone_number"] = [str(exc)]
    else:
        address, problem = letter_address(item.get("address"))
        if problem:
            errors["address"] = [problem]
    for other, wanted in (("email_address", "email"), ("phone_number", "sms"), ("address", "letter")):
        if item.get(other) and channel != wanted:
            errors[other] = [f"This template is a {channel} template: leave {other} out."]
    return recipient, address, errors


def letter_address(lines) -> tuple[list | None, str | None]:
    """The address lines with the postcode normalised, or why they cannot be posted to."""
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        return None, "A letter needs `address`: a list of lines, the last one a postcode."
    lines = [line.strip() for line in lines if line.strip()]
    if not 3 <= len(lines) <= MAX_ADDRESS_LINES:
        return None, f"An address has 3 to {MAX_ADDRESS_LINES} lines: the name, the street, ..., the postcode."
    if any(len(line) > 100 for line in lines):
        return None, "Each address line is at most 100 characters."
    try:
        lines[-1] = contact.postcode(lines[-1])
    except contact.InvalidContact:
        return None, "The last line of the address must be a UK postcode (for example SW1A 1AA)."
    return lines, None


def missing(fields: list[str], personalisation: dict) -> list[str]:
    """Template fields the message does not fill (a letter's address lines come from `address`)."""
    return [f for f in fields if f not in personalisation and not f.startswith("address_line_")]


# --- the opt-out register's keys ----------------------------------------------------------------
# An opt-out is kept under an HMAC-SHA256 of the normalised address, keyed with a subkey derived for this
# purpose alone from the platform's encryption keys (civic.core.crypto.subkeys): whoever holds the table
# cannot test candidate addresses against it. Version 1 rows (before this) hold a plain SHA-256, which
# cannot be turned into an HMAC without the address, so every lookup tries each form and a row found
# under an older form is rewritten under the current key when it is next used (service.opted_out).
OPT_OUT_SUBKEY = "notify.opt-out"
LEGACY_KEY_VERSION, KEY_VERSION = 1, 2


def _opt_out_value(channel: str, recipient: str | None, address: list | None) -> bytes:
    value = recipient if channel != "letter" else "|".join(line.lower() for line in (address or []))
    return f"civic-notify-opt-out:{channel}:{value}".encode()


def legacy_opt_out_key(channel: str, recipient: str | None, address: list | None) -> str:
    """Version 1: an unsalted SHA-256 (only ever looked up, never written again)."""
    return hashlib.sha256(_opt_out_value(channel, recipient, address)).hexdigest()


def opt_out_key(channel: str, recipient: str | None, address: list | None) -> str:
    """The key a new opt-out is kept under: the HMAC of the normalised address, never the address itself."""
    value = _opt_out_value(channel, recipient, address)
    return hmac.new(crypto.subkeys(OPT_OUT_SUBKEY)[0], value, hashlib.sha256).hexdigest()


def opt_out_keys(channel: str, recipient: str | None, address: list | None) -> list[str]:
    """Every key an opt-out for this address may be kept under: the current one first, then one per older
    encryption key, then version 1's SHA-256."""
    value = _opt_out_value(channel, recipient, address)
    return [*(hmac.new(key, value, hashlib.sha256).hexdigest() for key in crypto.subkeys(OPT_OUT_SUBKEY)),
            hashlib.sha256(value).hexdigest()]
