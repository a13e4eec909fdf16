"""Privacy's deliberately public routes: each organisation's transparency notice (JSON and page), which the
law requires be given to anyone, and the citizen privacy page (`/privacy`), whose visitors are the public:
it asks for a one-time code before it shows anything. Adding here is a reviewed decision."""
PUBLIC_ENDPOINTS: set[str] = set()
PUBLIC_PREFIXES = ("privacy-public.", "privacy-pages.")
