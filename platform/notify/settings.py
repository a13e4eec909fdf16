"""The notify component's settings (CIVIC_NOTIFY_*), loaded by civic.config.

name -> (parser, default, description); the description is the README's configuration table's.
"""
SETTINGS = {
    "NOTIFY_BASE_URL": (str, "https://api.notifications.service.gov.uk",
        "GOV.UK Notify's API address for live clients (tests point it at a local Notify-compatible server)."),
    "NOTIFY_SANDBOX_BASE_URL": (str, "",
        "Where sandbox clients' messages go. Empty: the platform's own simulated Notify, in process, which behaves like a Notify test key (simulated addresses and numbers give their failures)."),
    "NOTIFY_TIMEOUT_SECONDS": (float, 10.0,
        "How long one call to Notify may take; a timed-out send is looked up by its reference before any retry."),
    "NOTIFY_PER_MINUTE": (int, 2700,
        "Messages sent per organisation per minute (Notify allows 3,000 in any 60 seconds per key), spent a tenth every 6 seconds; more wait instead of failing. 0 lifts it."),
    "NOTIFY_DAILY_LIMITS": (str, "email=250000,sms=250000,letter=20000",
        "Messages per organisation per day and channel (Notify's daily limits); more wait for the next day."),
    "NOTIFY_RETENTION_DAYS": (int, 7,
        "Default days recipients and personalisation are kept (an organisation can set its own); then they are erased, status and metadata stay."),
    "NOTIFY_POLL_SECONDS": (int, 300,
        "How often unfinished messages are looked up at Notify (besides its delivery-receipt callbacks)."),
    "NOTIFY_PURGE_SECONDS": (int, 3600,
        "How often personal details past their retention period are erased."),
    "NOTIFY_UNSUBSCRIBE_DAYS": (int, 90,
        "How long a citizen's unsubscribe link keeps working."),
    "NOTIFY_BATCH_MAX": (int, 50_000,
        "Most recipients in one bulk send."),
}
