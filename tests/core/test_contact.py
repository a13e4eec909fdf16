"""One normaliser for contact details: email, phone and UK postcode, the same answer in every component."""
import pytest

from civic.core import contact
from tests.booking.conftest import Org, at, next_weekday

VALID_PHONE = "020 7946 0018"
POSSIBLE_NOT_VALID = "07700 900123"  # the right length, but a range no one is given (Ofcom's drama numbers)


@pytest.mark.parametrize(("given", "expected"), [
    ("Sam@Example.ORG", "sam@example.org"),
    ("  pat.resident@example.co.uk ", "pat.resident@example.co.uk"),
])
def test_an_email_is_checked_without_a_lookup_and_lower_cased(given, expected):
    assert contact.email(given) == expected


@pytest.mark.parametrize("given", ["not-an-email", "a@", "@example.org", "a@b@example.org", ""])
def test_a_malformed_email_is_refused(given):
    with pytest.raises(contact.InvalidContact):
        contact.email(given)


@pytest.mark.parametrize(("given", "expected"), [
    ("020 7946 0018", "+442079460018"), ("+44 20 7946 0018", "+442079460018"),
    ("07911 123456", "+447911123456"), ("+1 202 555 0123", "+12025550123"),
])
def test_a_phone_number_is_read_as_british_unless_it_says_otherwise_and_kept_in_e164(given, expected):
    assert contact.phone(given) == expected


@pytest.mark.parametrize("given", [POSSIBLE_NOT_VALID, "020 7946 001", "0800 123", "12345", "call me", ""])
def test_a_phone_number_must_be_a_valid_number_not_only_a_possible_one(given):
    with pytest.raises(contact.InvalidContact):
        contact.phone(given)


@pytest.mark.parametrize(("given", "expected"), [
    ("sw1a1aa", "SW1A 1AA"), (" SW1A  1AA ", "SW1A 1AA"), ("ec1a 1bb", "EC1A 1BB"), ("M1 1AE", "M1 1AE"),
    ("b338th", "B33 8TH"), ("cr2 6xh", "CR2 6XH"), ("dn551pt", "DN55 1PT"), ("gir0aa", "GIR 0AA"),
])
def test_a_uk_postcode_is_upper_cased_with_one_space_before_the_inward_code(given, expected):
    assert contact.postcode(given) == expected


@pytest.mark.parametrize("given", ["SW1A 1A", "QQ1 1AA", "12345", "SW1A 1AAA", "V1 1AA", "", "SW1A-1AA"])
def test_a_postcode_that_does_not_fit_the_official_pattern_is_refused(given):
    with pytest.raises(contact.InvalidContact):
        contact.postcode(given)


def _booking_answer(client, org, room, day, hour, email, phone):
    return org.book(client, room, at(day, f"{hour:02d}:00"),
                    attendee={"name": "Sam", "email": email, "phone": phone})


def _report_answer(client, headers, email, phone):
    return client.post("/v1/reporting/reports", headers=headers, json={
        "category": "litter", "address": "1 High Street", "reporter": {"name": "Sam", "email": email, "phone": phone}})


@pytest.mark.parametrize(("email", "phone"), [
    ("Sam@Example.ORG", "020 7946 0018"), ("sam@example.org", POSSIBLE_NOT_VALID), ("not-an-email", VALID_PHONE),
    ("sam@example.org", "+44 7911 123456"), ("sam@example.org", "0800 123"),
])
def test_booking_and_reporting_give_the_same_answer_for_the_same_details(client, make, email, phone):
    org = Org(make)
    room = org.resource(client, capacity=10, opening_hours={"monday": [{"start": "09:00", "end": "17:00"}]})
    reporting = make.headers(org.tenant, "reporting:read", "reporting:write")
    assert client.post("/v1/reporting/categories", headers=reporting,
                       json={"code": "litter", "name": "Litter"}).status_code == 201
    booked = _booking_answer(client, org, room, next_weekday(0), 10, email, phone)
    reported = _report_answer(client, reporting, email, phone)
    assert booked.status_code == reported.status_code, (booked.json, reported.json)
    if booked.status_code == 201:
        attendee, reporter = booked.json["attendee"], reported.json["reporter"]
        assert (attendee["email"], attendee["phone"]) == (reporter["email"], reporter["phone"])
    else:
        assert booked.status_code == 422
