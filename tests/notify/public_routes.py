"""Notify's deliberately public routes: Notify's delivery receipts (checked against the organisation's
callback token) and citizens' signed unsubscribe links. Adding here is a reviewed decision."""
PUBLIC_ENDPOINTS: set[str] = set()
PUBLIC_PREFIXES = ("notify-public.",)
