"""The shared kernel every component builds on: db, tenancy, errors, auth, events, jobs, privacy, audit."""
