"""The gateway's HTML pages and their form actions in the authorization matrix.

Same spec strings as tests/security/matrix.py (a profile, ``role=status`` overrides, and
``ok=status``: what an allowed role answers, exactly). A page route missing here fails
tests/security/test_matrix.py. Form actions are sent as a browser sends them (form fields, the
CSRF header of the session); an allowed write answers its success (303 to the page, or the
fragment with 200/201) or 409 (a stale ``version``: nothing changes); a refused one is followed
by a read of every database proving that nothing changed.

``api_client`` sends its API token: the gateway renders the read-only pages for it too, and
refuses its writes. The advisor logs in as the advisor assigned to 八王子市's case.
"""

from __future__ import annotations

from typing import Any

from tests.security.matrix import OWN_MUNICIPALITY, STALE

# Routes that are not pages of the product: operations and the login itself.
OPEN = frozenset(
    {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /login",
        "POST /login",
        "POST /logout",
    }
)

PAGES: dict[str, str] = {
    "GET /": "all",
    "GET /admin/audit": "admin",
    "POST /admin/tokens/{token_id}/revoke": "admin; ok=303",
    "GET /admin/tokens": "admin",
    "POST /admin/tokens": "admin; ok=201",
    "GET /admin/users/{user_id}": "admin",
    "POST /admin/users/{user_id}": "admin; ok=409",
    "GET /admin/users": "admin",
    "POST /admin/users": "admin; ok=303",
    "POST /indicators/frameworks/{framework_id}/allocation/what-if": "all; ok=200",  # computes
    "GET /indicators/frameworks/{framework_id}/allocation": "all",
    "GET /indicators/frameworks/{framework_id}/compare": "all",
    "GET /indicators/frameworks/{framework_id}/export": "all",
    "GET /indicators/frameworks/{framework_id}/import": "all",
    # the score import sends a real file (PAGE_FILES): one score of 八王子市 written again
    # (a plain post is redirected to the page, 303); the read-only roles get the service's 403
    "POST /indicators/frameworks/{framework_id}/import": "staff; ok=303",
    "GET /indicators/frameworks/{framework_id}/results/export": "all",
    "GET /indicators/frameworks/{framework_id}/results": "all",
    "GET /indicators/frameworks/{framework_id}": "all",
    "GET /indicators": "all",
    # framework authoring, budgets, national basis, deduction rule (issue #15): the writes are
    # sent stale or for a year that exists (409, nothing changes); the read-only roles get the
    # service's 403
    "POST /indicators/frameworks/copy": "staff; ok=409",
    "GET /indicators/frameworks/{framework_id}/edit": "all",
    "POST /indicators/frameworks/{framework_id}/meta": "staff; ok=409",
    "POST /indicators/frameworks/{framework_id}/tree": "staff; ok=409",
    "GET /indicators/budgets": "all",
    "POST /indicators/budgets": "staff; ok=409",
    "POST /indicators/budgets/national": "staff; ok=409",
    "POST /indicators/budgets/deduction": "staff; ok=409",
    # a municipality's peer type (類型, issue #16): everybody reads (as GET /peer-types); the
    # write is sent stale (409, nothing changes), the read-only roles get the service's 403
    "GET /indicators/peer-types": "all",
    "POST /indicators/peer-types/{code}": "staff; ok=409",
    "GET /municipalities/{code}": "all",
    "GET /pdca/cell": "all; municipality=403; ok=303",
    "POST /pdca/cell": "staff; ok=409",
    "GET /pdca/export.xlsx": "all; municipality=403",
    "GET /pdca": "all; municipality=403",  # the prefecture's own sheet
    "POST /support/applications/{application_id}/decision": "staff; ok=409",
    "POST /support/cases/{case_id}/initiatives": "staff; advisor=own; ok=303",
    "POST /support/cases/{case_id}/lessons": "staff; ok=409",
    "POST /support/cases/{case_id}/citations/remove": "staff; ok=409",  # a cited 好事例
    "GET /support/cases/{case_id}/report.docx": "all",
    "GET /support/cases/{case_id}/roadmap": "all",
    "POST /support/cases/{case_id}/transitions": "staff; ok=409",
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/hypothesis": "staff; advisor=own; ok=409",
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/move": "staff; advisor=own; ok=409",
    # the refused roles go first; the admin then moves the node up, the others find it first
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/reorder": "staff; advisor=own; ok=303",
    "POST /support/cases/{case_id}/tree/nodes/{node_id}": "staff; advisor=own; ok=409",
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/measure-evidence/remove": (
        "staff; advisor=own; ok=409"
    ),
    "POST /support/cases/{case_id}/tree/nodes": "staff; advisor=own; ok=303",
    "POST /support/cases/{case_id}/visits": "staff; advisor=own; ok=303",
    "GET /support/cases/{case_id}": "all",
    "GET /support": "all; advisor=403",
    "GET /training/kotei-hyo": "all",
    "GET /training/programs": "all",
    "GET /training/sessions/{session_id}/attendance": "all",
    "POST /training/sessions/{session_id}/attendance": "staff; ok=303",
    "PUT /training/sessions/{session_id}/attendance": "staff; ok=303",
    "GET /training/sessions/{session_id}/files/{name}": "all",
    "POST /training/sessions/{session_id}/registrations/{registration_id}/cancel": "staff; municipality=own; ok=303",
    "DELETE /training/sessions/{session_id}/registrations/{registration_id}": "staff; municipality=own; ok=303",
    "POST /training/sessions/{session_id}/registrations": "staff; municipality=own; ok=303",
    "GET /training/sessions/{session_id}": "all",
    "GET /training": "all",
    # the import wizard (wizard15): coordinators and admins; {kind} is the item-table import
    # (municipality staff only where the service lets them write their own rows: the centres'
    # evaluation answers, tests/gateway/test_import_wizard.py).
    # POST /imports/{kind} sends a file (PAGE_FILES). Uploads are their owner's: {upload_id}
    # is an upload made by the acting role just before (by the admin for the roles that may
    # upload nothing), so the allowed roles get their step and the municipality another's 404.
    # The commit's upload was previewed first: the allowed roles write the items.
    "GET /imports/{kind}": "staff",
    "POST /imports/{kind}": "staff; ok=303",
    "GET /imports/u/{upload_id}": "staff; municipality=404; ok=200",
    "POST /imports/u/{upload_id}/preview": "staff; municipality=404; ok=200",
    "POST /imports/u/{upload_id}/commit": "staff; municipality=404; ok=200",
}

# The import wizard's item table (Shift_JIS CSV, as exported from Excel) and its mapping.
IMPORT_ITEMS = (
    "分野,番号,指標の内容,配点\n"
    "Ⅰ,Ⅰ-1,計画の進捗を管理しているか,35\n"
    "Ⅰ,Ⅰ-2,見える化システムで地域分析をしているか,100\n"
).encode("cp932")
IMPORT_MAPPING = {"col_0": "category", "col_1": "code", "col_2": "text", "col_3": "max_points"}

# The score import page's file (UTF-8 CSV, the service's columns): 八王子市's score of the
# framework's first item.
IMPORT_SCORES = "entity_code,item_code,points\n" + OWN_MUNICIPALITY + ",{fw_item},0\n"

# Files per action (multipart, sent with the form fields of PAGE_FORMS); a text content is a
# template ("{name}" replaced by that demo value), sent as UTF-8.
PAGE_FILES: dict[str, dict[str, tuple[str, bytes | str]]] = {
    "POST /imports/{kind}": {"file": ("items.csv", IMPORT_ITEMS)},
    "POST /indicators/frameworks/{framework_id}/import": {"file": ("scores.csv", IMPORT_SCORES)},
}

# Form fields per action; "{name}" is replaced by that demo value ("{role}" by the acting role,
# so that each role's registration is a new one).
PAGE_FORMS: dict[str, dict[str, Any]] = {
    "POST /imports/{kind}": {"framework_id": "{framework_id}"},
    "POST /imports/u/{upload_id}/preview": IMPORT_MAPPING,
    "POST /imports/u/{upload_id}/commit": {},
    "POST /admin/tokens": {"name": "マトリクス {role}", "expires_in_days": "1"},
    "POST /admin/tokens/{token_id}/revoke": {},
    "POST /admin/users": {
        "login": "matrix-page-{role}",
        "display_name": "マトリクス {role}",
        "role": "viewer",
        "municipality_code": "",
        "password": "matrix-password-0123",
    },
    "POST /admin/users/{user_id}": {
        "version": str(STALE),
        "display_name": "マトリクス",
        "role": "viewer",
        "municipality_code": "",
        "active": "1",
    },
    "POST /indicators/frameworks/{framework_id}/allocation/what-if": {
        "budget": "1000000",
        "entity_code": OWN_MUNICIPALITY,
        "item_0": "{fw_item}",
        "points_0": "1",
    },
    "POST /indicators/frameworks/copy": {"pair": "suishin:municipality", "grant_fy": "2020"},
    "POST /indicators/frameworks/{framework_id}/meta": {
        "version": str(STALE),
        "name": "マトリクス",
        "state": "provisional",
    },
    "POST /indicators/frameworks/{framework_id}/tree": {
        "version": str(STALE),
        "cat_count": "1",
        "cat-0-code": "X",
        "cat-0-name": "マトリクス",
        "item_count": "1",
        "item-0-category": "X",
        "item-0-code": "x",
        "item-0-text": "マトリクス",
        "item-0-max": "1",
    },
    "POST /indicators/budgets": {
        "kind": "override",
        "grant": "suishin",
        "level": "municipality",
        "grant_fy": "2019",
        "version": str(STALE),
        "override_amount": "1",
        "override_reason": "マトリクス",
    },
    "POST /indicators/budgets/deduction": {
        "grant": "suishin",
        "grant_fy": "2019",
        "item_code": "Ⅲ-②",
        "threshold": "30",
        "points": "-10",
        "wording": "マトリクス",
        "source_document": "マトリクス",
        "version": str(STALE),
    },
    "POST /indicators/budgets/national": {
        "grant": "suishin",
        "level": "municipality",
        "grant_fy": "2020",
        "version": str(STALE),
        "denominator": "1",
        "source_document": "マトリクス",
    },
    "POST /indicators/peer-types/{code}": {"peer_type": "都市型", "version": str(STALE)},
    "POST /pdca/cell": {
        "item": "{pdca_item}",
        "fy": "{pdca_fy}",
        "kind": "actions",
        "version": str(STALE),
        "actual_value": "1",
    },
    "POST /support/applications/{application_id}/decision": {
        "fiscal_year": "{fiscal_year}",
        "status": "選定",
        "reason": "マトリクス",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/initiatives": {"node_id": "{node_id}", "title": "試験"},
    "POST /support/cases/{case_id}/lessons": {"lessons": "試験", "version": str(STALE)},
    "POST /support/cases/{case_id}/citations/remove": {
        "reference": "pdca-good-practice:1",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/measure-evidence/remove": {
        "measure_code": "kayoinoba_rate",
        "fiscal_year": "2023",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/transitions": {
        "to_status": "ヒアリング",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/tree/nodes": {"statement": "試験", "parent_id": "{node_id}"},
    "POST /support/cases/{case_id}/tree/nodes/{node_id}": {
        "statement": "試験",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/hypothesis": {
        "is_hypothesis": "1",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/move": {
        "parent_id": "{root_id}",
        "version": str(STALE),
    },
    "POST /support/cases/{case_id}/tree/nodes/{node_id}/reorder": {"direction": "up"},
    "POST /support/cases/{case_id}/visits": {
        "visit_date": "2026-09-01",
        "kind": "ヒアリング",
        "advisor_id": "{advisor_id}",
        "hours": "1",
    },
    "POST /training/sessions/{session_id}/registrations": {
        "name": "試験 {role}",
        "municipality_code": OWN_MUNICIPALITY,
        "role": "",
        "email": "page-{role}@example.lg.jp",
    },
    "PUT /training/sessions/{session_id}/attendance": {
        "m-{registration_id}-1": "present",
    },
    "POST /training/sessions/{session_id}/attendance": {
        "m-{registration_id}-1": "present",
    },
    "POST /training/sessions/{session_id}/registrations/{registration_id}/cancel": {},
    "DELETE /training/sessions/{session_id}/registrations/{registration_id}": None,
}

PAGE_QUERIES: dict[str, dict[str, Any]] = {
    "GET /imports/{kind}": {"framework_id": "{framework_id}"},
    "GET /pdca/cell": {"item": "{pdca_item}", "fy": "{pdca_fy}", "kind": "actions"},
}
