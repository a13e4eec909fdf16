"""Privacy's deliberately public routes: each organisation's transparency notice (JSON and page), which the
law requires be given to anyone. Adding here is a reviewed decision."""
PUBLIC_ENDPOINTS: set[str] = set()
PUBLIC_PREFIXES = ("privacy-public.",)
