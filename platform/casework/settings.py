"""The casework component's settings (CIVIC_CASEWORK_*), loaded by civic.config."""
SETTINGS = {
    "CASEWORK_FILES_DIR": (str, "instance/casework-files",
        'Folder where case attachments are stored (the local-disk storage).'),
    "CASEWORK_ATTACHMENT_MAX_BYTES": (int, 1_000_000,
        'Largest attachment, in bytes (the request body limit applies too).'),
    "CASEWORK_NOTE_MAX_CHARS": (int, 10_000,
        'Longest case note, in characters.'),
    "CASEWORK_SLA_CHECK_SECONDS": (int, 300,
        'How often the SLA job looks for cases about to breach or breached.'),
    "CASEWORK_SLA_WARNING_HOURS": (int, 4,
        'An SLA warning is sent this many working hours before a target is due.'),
}
