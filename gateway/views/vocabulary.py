"""Names the gateway shows for codes the services use (grants, flags). The services' own
enums (case statuses and the like) come from the clients' models, checked against each
service's OpenAPI by tests/contract."""

GRANT_NAMES = {"suishin": "保険者機能強化推進交付金", "doryoku": "介護保険保険者努力支援交付金"}
GRANT_SHORT = {"suishin": "推進交付金", "doryoku": "努力支援交付金"}
GRANT_ORDER = ("suishin", "doryoku")
FLAG_LABELS = {"low_score_rate": "低得点", "drop": "得点低下"}


def grant_order(grant: str) -> tuple[int, str]:
    return (GRANT_ORDER.index(grant) if grant in GRANT_ORDER else len(GRANT_ORDER), grant)
