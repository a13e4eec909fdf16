"""The privacy component's settings (CIVIC_PRIVACY_*), loaded by civic.config."""
SETTINGS = {
    "PRIVACY_CITIZEN_SENDER": (str, "",
        'The organisation (its slug: the steward\'s) whose GOV.UK Notify service sends the one-time codes of the citizen privacy page (`/privacy`). Empty: the page explains it cannot send codes yet.'),
    "PRIVACY_CITIZEN_EMAIL_TEMPLATE": (str, "privacy_code_email",
        'That organisation\'s Notify template for a code by email (its name on the platform); it needs a ((code)) field.'),
    "PRIVACY_CITIZEN_SMS_TEMPLATE": (str, "privacy_code_sms",
        'That organisation\'s Notify template for a code by text message; it needs a ((code)) field.'),
    "PRIVACY_CITIZEN_CODE_MINUTES": (int, 10,
        'How long a one-time code works; five wrong tries end it sooner.'),
    "PRIVACY_CITIZEN_SESSION_MINUTES": (int, 30,
        'How long a citizen stays signed in to the privacy page after entering their code.'),
}
