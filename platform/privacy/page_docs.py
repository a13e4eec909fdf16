"""The citizen privacy page in the OpenAPI spec: plain Flask views (HTML forms for people, not for apps), so
their operations are written here. Every form posts its CSRF token; the pages run no script."""
HTML = {"text/html": {"schema": {"type": "string"}}}
TAG = {"name": "privacy-page", "description": (
    "The citizen privacy page, for people, in a browser (not for apps): a person proves an email address or "
    "mobile number is theirs with a one-time code, then sees which organisations on the platform hold data "
    "linked to it, downloads it, stops non-essential messages and asks for a copy, correction or erasure. Served at "
    "`/privacy`; the code comes through the steward's GOV.UK Notify service (`CIVIC_PRIVACY_CITIZEN_SENDER`).")}


def _page(summary: str, description: str, answers: dict) -> dict:
    return {"tags": ["privacy-page"], "security": [], "summary": summary, "description": description,
            "responses": {status: ({"description": text, "content": HTML} if not text.startswith("->") else
                                   {"description": text[3:]}) for status, text in answers.items()}}


SIGNED_OUT = "-> Not signed in (or the session ended): back to `/privacy`."
PATHS = {
    "/privacy": {
        "get": _page("The start page: enter an email address or mobile number to get a code.",
                     "Explains what the page does, then asks for the contact detail.", {"200": "The page."}),
        "post": _page("Send a one-time code to the email address or mobile number (sent by the page's form).",
                      "The same answer whoever you are: whether anything is held is shown only after the code. "
                      "At most three codes per contact detail and ten per network address in 15 minutes.",
                      {"303": "-> Code sent: on to `/privacy/code`.", "400": "The page again, saying what to fix.",
                       "429": "Too many codes lately: the page says when to try again.",
                       "503": "No code can be sent now (the page says so; nothing is kept)."})},
    "/privacy/code": {
        "get": _page("Enter the code that was sent.", "Shows where the code went.",
                     {"200": "The page.", "303": "-> No code waiting: back to `/privacy`."}),
        "post": _page("Check the code (sent by the page's form).",
                      "A code works once, for 10 minutes (`CIVIC_PRIVACY_CITIZEN_CODE_MINUTES`) and five tries; a wrong "
                      "try is answered with the form again and the tries left.",
                      {"303": "-> Right: signed in, on to `/privacy/mine`.", "200": "Wrong: the form again.",
                       "400": "The code expired, was used, or the form was stale: start again."})},
    "/privacy/mine": {"get": _page(
        "Which organisations hold data linked to you, and what you can do about it.",
        "Each organisation holding records linked to the email address or phone number, with what kinds; "
        "the download, the opt-out and the request form. What is shown is in each organisation's audit log.",
        {"200": "The page.", "303": SIGNED_OUT})},
    "/privacy/mine.json": {"get": {**_page(
        "Download everything the organisations hold linked to you, as a JSON file.",
        "Every record, organisation by organisation (as a subject access export gives it). In each "
        "organisation's audit log.", {"303": SIGNED_OUT}), "responses": {
            "200": {"description": "The file (an attachment).", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"generated_at": {"type": "string"}, "contact": {"type": "object"},
                                                 "organisations": {"type": "array", "items": {"type": "object"}}}},
                "example": {"generated_at": "2027-03-01T09:00:00+00:00", "contact": {"email": "sam@example.org"},
                            "organisations": [{"organisation": "Riverside Borough Council", "slug": "riverside",
                                               "records": {"booking": [{"id": "0b6f1a2e-5c3d-4e8f-9a1b-7c2d3e4f5a60",
                                                                        "attendee_name": "Sam Citizen"}]}}]}}}},
            "303": {"description": SIGNED_OUT[3:]}}}},
    "/privacy/mine/opt-out": {"post": _page(
        "Stop non-essential messages from every organisation (sent by the page's form).",
        "Records an opt-out of every purpose (`*`) in each organisation that sends messages: reminders, news "
        "and surveys stop; essential messages (a booking confirmation) still go.",
        {"200": "Done: which organisations were told.", "303": SIGNED_OUT, "400": "A stale form: start again."})},
    "/privacy/mine/requests": {"post": _page(
        "Ask organisations for a copy, a correction or an erasure of what they hold (sent by the page's form).",
        "Puts a request (`kind` access, rectification or erasure, with the person's words) on each chosen "
        "organisation's statutory clock; their admins see it at `GET /v1/privacy/requests`.",
        {"200": "Sent: each organisation and the day it must answer by.", "303": SIGNED_OUT,
         "400": "The page again, saying what to fix."})},
    "/privacy/sign-out": {"post": _page(
        "Sign out of the privacy page (sent by the page's form).", "Ends the session at once.",
        {"303": "-> Back to `/privacy`."})},
}
