"""Reporting's deliberately public routes: Open311 and the open data. Adding here is a reviewed decision."""
PUBLIC_ENDPOINTS: set[str] = set()
PUBLIC_PREFIXES = ("open311.", "reporting-open-data.")
