"""The reporting component's settings (CIVIC_REPORTING_*), loaded by civic.config.

name -> (parser, default, description); the description is the README's configuration table's.
"""
SETTINGS = {
    "REPORTING_SUPPRESSION_THRESHOLD": (int, 5,
        'Open data: counts below this are suppressed (with secondary suppression so they cannot be worked out from totals).'),
    "REPORTING_SPIKE_MIN_COUNT": (int, 5,
        'Early warning: the fewest reports in 7 days that can count as a spike.'),
    "REPORTING_SPIKE_CHECK_SECONDS": (int, 3600,
        'How often the early-warning job compares recent demand with its history.'),
    "REPORTING_ROLLUP_SECONDS": (int, 300,
        'How often the place-wide weekly counts are refreshed (place-wide views can be this far behind).'),
    "REPORTING_OPEN_DATA_CACHE_SECONDS": (int, 60,
        'How long a published open-data table is reused before being rebuilt.'),
    "REPORTING_INSIGHT_MAX_GROUPS": (int, 10_000,
        'Insight counts and maps: most groups in one answer (more is a 422 `answer_too_large`).'),
    "REPORTING_OPEN_DATA_PUBLISHER": (str, "Civic Platform",
        'Publisher named in the open data.'),
    "REPORTING_OPEN311_CONTACT": (str, "",
        'Contact shown in Open311 discovery.'),
    "REPORTING_OPEN311_KEY_SERVICE": (str, "",
        'Where Open311 clients ask for an API key, shown in Open311 discovery.'),
}
