"""Contact details, one rule each for every component: email, phone (UK by default) and UK postcode.

- email: checked by email-validator without a DNS look-up (we may not reach the net), then lower-cased
  whole, so the same person is one address for look-ups, exports and erasure;
- phone: read as a GB number unless it starts with `+`, accepted only if `is_valid_number` (a real
  range, not merely the right length), kept in E.164 (`+442079460018`);
- postcode: upper-cased, one space before the inward code (`SW1A 1AA`), checked by the government's
  published pattern (BS 7666);
- NHS number: spaces and dashes dropped, ten digits whose last is the modulus-11 check digit.
"""
import re

import email_validator
import marshmallow as ma
import phonenumbers

REGION = "GB"
# The pattern of the UK Government Data Standards Catalogue, applied to the normalised form.
POSTCODE = re.compile(
    r"GIR 0AA|(?:[A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2}")


class InvalidContact(ValueError):
    """A contact detail that does not follow its rule; the message says what to fix."""


def email(value: str) -> str:
    """The address, checked (no deliverability look-up) and lower-cased."""
    try:
        return email_validator.validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except email_validator.EmailNotValidError as exc:
        raise InvalidContact(str(exc)) from None


def phone(value: str) -> str:
    """The number in E.164, if it is a valid number (GB unless it starts with +)."""
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidContact("Not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def uk_mobile(value: str) -> str:
    """The number in E.164, if it is a UK mobile number (where a text message can go)."""
    normal = phone(value)
    if phonenumbers.number_type(phonenumbers.parse(normal)) != phonenumbers.PhoneNumberType.MOBILE \
            or not normal.startswith("+44"):
        raise InvalidContact("Enter a UK mobile phone number, like 07700 900 982.")
    return normal


def postcode(value: str) -> str:
    """The UK postcode in its normal form (`SW1A 1AA`), if it fits the official pattern."""
    compact = "".join(value.split()).upper()
    normal = f"{compact[:-3]} {compact[-3:]}"
    if len(compact) < 5 or not POSTCODE.fullmatch(normal):
        raise InvalidContact("Not a valid UK postcode (for example SW1A 1AA).")
    return normal


def nhs_number(value: str) -> str:
    """The NHS number as ten digits (`9434765919`), if its check digit is right."""
    digits = "".join(value.replace("-", " ").split())
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):  # "²" and "٩" are digits to isdigit
        raise InvalidContact("An NHS number is 10 digits (for example 943 476 5919).")
    weighted = sum((10 - place) * int(digit) for place, digit in enumerate(digits[:9]))
    if (11 - weighted % 11) % 11 != int(digits[9]):  # a remainder of 1 (check 10) never matches a digit
        raise InvalidContact("Not a valid NHS number (its check digit is wrong).")
    return digits


def lookup_phone(value: str) -> str:
    """A number as it would have been stored, for finding records (as given when it is not valid)."""
    try:
        return phone(value)
    except InvalidContact:
        return value.strip()


class _Normalised(ma.fields.String):
    rule = staticmethod(lambda value: value)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return self.rule(super()._deserialize(value, attr, data, **kwargs))
        except InvalidContact as exc:
            raise ma.ValidationError(str(exc)) from None


class Email(_Normalised):
    """An email field: `contact.email` on load."""
    rule = staticmethod(email)


class Phone(_Normalised):
    """A phone field: `contact.phone` on load."""
    rule = staticmethod(phone)


class Postcode(_Normalised):
    """A UK postcode field: `contact.postcode` on load."""
    rule = staticmethod(postcode)


class NhsNumber(_Normalised):
    """An NHS number field: `contact.nhs_number` on load."""
    rule = staticmethod(nhs_number)
