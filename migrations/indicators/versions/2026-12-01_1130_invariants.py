"""invariants: CHECK constraints for what the indicators models promise, after repairing rows
stored in violation.

The database then refuses a bad row from any path (a future bug, a script, a manual edit); the
kernel answers such a refusal with 422 (services/common/errors.py). NOT NULL already holds for
every column the models declare required (tests/common/test_migrations.py compares them).

Constraints (fiscal years as the write models accept them: grant years 2018..2100, evaluation
years 2017..2100, the other years 2000..2100):

- framework: grant suishin / doryoku, level municipality / prefecture, grant_fy and
  evaluation_fy in range; item: min_points <= max_points;
- score: grant_fy and evaluation_fy in range; column_mapping: grant, level, grant_fy;
- deduction_rule: grant and grant_fy; allocation_input: grant, grant_fy, first_insured >= 0,
  requested >= 0; budget, national_basis: grant_fy; first_insured: fiscal_year;
- centre: opened_fy / closed_fy in range and opened_fy <= closed_fy; centre_year: fiscal_year,
  operation 直営 / 委託, staff_total >= 0; centre_eval_catalogue: fiscal_year, state 暫定 / 確定;
  centre_eval_item: subject centre / municipality; centre_eval_sheet: fiscal_year, subject,
  0 <= met_count <= item_count, 0 <= rate <= 1; the read models per area and item: counts
  non-negative, met within items, rates and shares 0..1;
- pdca_sheet: start_fy <= end_fy, both in range;
- regional_measure: favourable_direction NULL / higher / lower, min_value <= max_value,
  decimals 0..10, origin shipped / user, until_fy in range; regional_measure_definition,
  regional_value: year in range; regional_national_figure: year, state 暫定 / 確定;
  regional_import: status preview / committed, size >= 0, written >= 0, year in range;
  regional_rank: 1 <= rank <= rank_of; regional_stat: count >= 0, 0 <= sample_count <= count;
- result_entity, result_member: 0 <= rank <= rank_of; result_average: count >= 0.

Repair (before the constraints; each statement changes only rows that break them):

- an unknown grant / level / state / subject / operation / origin / status becomes the
  model's default (grant suishin, level municipality, state 暫定 or provisional, subject
  centre, operation 直営, origin user, status preview); an unknown favourable_direction NULL;
- an item whose min_points > max_points: the two swapped;
- reversed pairs swapped (pdca_sheet start/end, centre opened/closed, measure min/max);
- a fiscal year out of range in a column that is not part of a key (centre opened/closed,
  measure until_fy, import fiscal_year) becomes NULL; rows whose key year is out of range
  (no write model accepts such a year: they cannot have come through the API) are deleted;
- negative counts and amounts become 0; counts above their total are cut to the total;
  rates and shares are clamped into 0..1; decimals into 0..10; a rank outside 1..rank_of
  (regional) or 0..rank_of (results) becomes rank_of.

Revision ID: 8c4f2a6e1d30
Revises: 5b7e2c9d1a40
Create Date: 2026-12-01 11:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8c4f2a6e1d30"
down_revision: str | Sequence[str] | None = "5b7e2c9d1a40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GRANTS = "('suishin', 'doryoku')"
LEVELS = "('municipality', 'prefecture')"


def _fy(column: str, low: int = 2000, nullable: bool = False) -> str:
    rule = f"{column} >= {low} AND {column} <= 2100"
    return f"{column} IS NULL OR ({rule})" if nullable else rule


CHECKS: dict[str, list[tuple[str, str]]] = {
    "framework": [
        ("ck_framework_grant", f'"grant" IN {GRANTS}'),
        ("ck_framework_level", f"level IN {LEVELS}"),
        ("ck_framework_years", f"{_fy('grant_fy', 2018)} AND {_fy('evaluation_fy', 2017)}"),
    ],
    "item": [("ck_item_points", "min_points <= max_points")],
    "score": [("ck_score_years", f"{_fy('grant_fy', 2018)} AND {_fy('evaluation_fy', 2017)}")],
    "column_mapping": [
        ("ck_column_mapping_grant", f'"grant" IN {GRANTS}'),
        ("ck_column_mapping_level", f"level IN {LEVELS}"),
        ("ck_column_mapping_fy", _fy("grant_fy", 2018)),
    ],
    "deduction_rule": [
        ("ck_deduction_rule_grant", f'"grant" IN {GRANTS}'),
        ("ck_deduction_rule_fy", _fy("grant_fy", 2018)),
    ],
    "allocation_input": [
        ("ck_allocation_input_grant", f'"grant" IN {GRANTS}'),
        ("ck_allocation_input_fy", _fy("grant_fy", 2018)),
        ("ck_allocation_input_counts", "first_insured >= 0 AND requested >= 0"),
    ],
    "budget": [("ck_budget_fy", _fy("grant_fy", 2018))],
    "national_basis": [("ck_national_basis_fy", _fy("grant_fy", 2018))],
    "first_insured": [("ck_first_insured_fy", _fy("fiscal_year"))],
    "centre": [
        (
            "ck_centre_years",
            f"({_fy('opened_fy', nullable=True)}) AND ({_fy('closed_fy', nullable=True)})",
        ),
        (
            "ck_centre_order",
            "opened_fy IS NULL OR closed_fy IS NULL OR opened_fy <= closed_fy",
        ),
    ],
    "centre_year": [
        ("ck_centre_year_fy", _fy("fiscal_year")),
        ("ck_centre_year_operation", "operation IN ('直営', '委託')"),
        ("ck_centre_year_staff", "staff_total >= 0"),
    ],
    "centre_eval_catalogue": [
        ("ck_centre_eval_catalogue_fy", _fy("fiscal_year")),
        ("ck_centre_eval_catalogue_state", "state IN ('暫定', '確定')"),
    ],
    "centre_eval_item": [("ck_centre_eval_item_subject", "subject IN ('centre', 'municipality')")],
    "centre_eval_sheet": [
        ("ck_centre_eval_sheet_fy", _fy("fiscal_year")),
        ("ck_centre_eval_sheet_subject", "subject IN ('centre', 'municipality')"),
        ("ck_centre_eval_sheet_counts", "met_count >= 0 AND met_count <= item_count"),
        ("ck_centre_eval_sheet_rate", "rate >= 0 AND rate <= 1"),
    ],
    "centre_eval_sheet_area": [
        ("ck_centre_eval_sheet_area_counts", "met >= 0 AND met <= items"),
        ("ck_centre_eval_sheet_area_rate", "rate >= 0 AND rate <= 1"),
    ],
    "centre_eval_prefecture_area": [
        ("ck_centre_eval_prefecture_area_sheets", "sheets >= 0"),
        ("ck_centre_eval_prefecture_area_rate", "mean_rate >= 0 AND mean_rate <= 1"),
    ],
    "centre_eval_prefecture_item": [
        ("ck_centre_eval_prefecture_item_sheets", "sheets >= 0"),
        ("ck_centre_eval_prefecture_item_share", "met_share >= 0 AND met_share <= 1"),
    ],
    "pdca_sheet": [
        ("ck_pdca_sheet_years", f"{_fy('start_fy')} AND {_fy('end_fy')}"),
        ("ck_pdca_sheet_order", "start_fy <= end_fy"),
    ],
    "regional_measure": [
        (
            "ck_regional_measure_direction",
            "favourable_direction IS NULL OR favourable_direction IN ('higher', 'lower')",
        ),
        (
            "ck_regional_measure_range",
            "min_value IS NULL OR max_value IS NULL OR min_value <= max_value",
        ),
        ("ck_regional_measure_decimals", "decimals >= 0 AND decimals <= 10"),
        ("ck_regional_measure_origin", "origin IN ('shipped', 'user')"),
        ("ck_regional_measure_until", _fy("until_fy", nullable=True)),
    ],
    "regional_measure_definition": [("ck_regional_measure_definition_fy", _fy("from_fy"))],
    "regional_value": [("ck_regional_value_fy", _fy("fiscal_year"))],
    "regional_national_figure": [
        ("ck_regional_national_figure_fy", _fy("fiscal_year")),
        ("ck_regional_national_figure_state", "state IN ('暫定', '確定')"),
    ],
    "regional_import": [
        ("ck_regional_import_status", "status IN ('preview', 'committed')"),
        ("ck_regional_import_counts", "size >= 0 AND (written IS NULL OR written >= 0)"),
        ("ck_regional_import_fy", _fy("fiscal_year", nullable=True)),
    ],
    "regional_rank": [
        ("ck_regional_rank_range", "rank_in_prefecture >= 1 AND rank_in_prefecture <= rank_of"),
    ],
    "regional_stat": [
        ("ck_regional_stat_counts", "count >= 0 AND sample_count >= 0 AND sample_count <= count"),
    ],
    "result_entity": [
        (
            "ck_result_entity_ranks",
            "national_rank >= 0 AND national_rank <= national_rank_of"
            " AND prefecture_rank >= 0 AND prefecture_rank <= prefecture_rank_of",
        ),
    ],
    "result_member": [("ck_result_member_rank", "rank >= 0 AND rank <= rank_of")],
    "result_average": [("ck_result_average_count", "count >= 0")],
}


def _fy_out(column: str, low: int = 2000) -> str:
    return f"({column} < {low} OR {column} > 2100)"


REPAIRS = [
    # enums: an unknown value becomes the model's default
    f'UPDATE framework SET "grant" = \'suishin\' WHERE "grant" NOT IN {GRANTS}',
    f"UPDATE framework SET level = 'municipality' WHERE level NOT IN {LEVELS}",
    f'UPDATE column_mapping SET "grant" = \'suishin\' WHERE "grant" NOT IN {GRANTS}',
    f"UPDATE column_mapping SET level = 'municipality' WHERE level NOT IN {LEVELS}",
    f'UPDATE deduction_rule SET "grant" = \'suishin\' WHERE "grant" NOT IN {GRANTS}',
    f'UPDATE allocation_input SET "grant" = \'suishin\' WHERE "grant" NOT IN {GRANTS}',
    "UPDATE centre_year SET operation = '直営' WHERE operation NOT IN ('直営', '委託')",
    "UPDATE centre_eval_catalogue SET state = '暫定' WHERE state NOT IN ('暫定', '確定')",
    "UPDATE centre_eval_item SET subject = 'centre' WHERE subject NOT IN ('centre', 'municipality')",
    "UPDATE centre_eval_sheet SET subject = 'centre'"
    " WHERE subject NOT IN ('centre', 'municipality')",
    "UPDATE regional_measure SET favourable_direction = NULL"
    " WHERE favourable_direction NOT IN ('higher', 'lower')",
    "UPDATE regional_measure SET origin = 'user' WHERE origin NOT IN ('shipped', 'user')",
    "UPDATE regional_national_figure SET state = '暫定' WHERE state NOT IN ('暫定', '確定')",
    "UPDATE regional_import SET status = 'preview' WHERE status NOT IN ('preview', 'committed')",
    # reversed pairs
    "UPDATE item SET min_points = max_points, max_points = min_points"
    " WHERE min_points > max_points",
    "UPDATE pdca_sheet SET start_fy = end_fy, end_fy = start_fy WHERE start_fy > end_fy",
    "UPDATE centre SET opened_fy = closed_fy, closed_fy = opened_fy WHERE opened_fy > closed_fy",
    "UPDATE regional_measure SET min_value = max_value, max_value = min_value"
    " WHERE min_value > max_value",
    # years outside any write model's range: NULL where optional, the row deleted where a key
    f"UPDATE centre SET opened_fy = NULL WHERE {_fy_out('opened_fy')}",
    f"UPDATE centre SET closed_fy = NULL WHERE {_fy_out('closed_fy')}",
    f"UPDATE regional_measure SET until_fy = NULL WHERE {_fy_out('until_fy')}",
    f"UPDATE regional_import SET fiscal_year = NULL WHERE {_fy_out('fiscal_year')}",
    f"DELETE FROM framework WHERE {_fy_out('grant_fy', 2018)} OR {_fy_out('evaluation_fy', 2017)}",
    f"DELETE FROM score WHERE {_fy_out('grant_fy', 2018)} OR {_fy_out('evaluation_fy', 2017)}",
    f"DELETE FROM column_mapping WHERE {_fy_out('grant_fy', 2018)}",
    f"DELETE FROM deduction_rule WHERE {_fy_out('grant_fy', 2018)}",
    f"DELETE FROM allocation_input WHERE {_fy_out('grant_fy', 2018)}",
    f"DELETE FROM budget WHERE {_fy_out('grant_fy', 2018)}",
    f"DELETE FROM national_basis WHERE {_fy_out('grant_fy', 2018)}",
    f"DELETE FROM first_insured WHERE {_fy_out('fiscal_year')}",
    f"DELETE FROM centre_year WHERE {_fy_out('fiscal_year')}",
    f"DELETE FROM centre_eval_catalogue WHERE {_fy_out('fiscal_year')}",
    f"DELETE FROM centre_eval_sheet WHERE {_fy_out('fiscal_year')}",
    f"DELETE FROM pdca_sheet WHERE {_fy_out('start_fy')} OR {_fy_out('end_fy')}",
    f"DELETE FROM regional_measure_definition WHERE {_fy_out('from_fy')}",
    f"DELETE FROM regional_value WHERE {_fy_out('fiscal_year')}",
    f"DELETE FROM regional_national_figure WHERE {_fy_out('fiscal_year')}",
    # counts, amounts, rates, ranks
    "UPDATE allocation_input SET first_insured = 0 WHERE first_insured < 0",
    "UPDATE allocation_input SET requested = 0 WHERE requested < 0",
    "UPDATE centre_year SET staff_total = 0 WHERE staff_total < 0",
    "UPDATE centre_eval_sheet SET item_count = 0 WHERE item_count < 0",
    "UPDATE centre_eval_sheet SET met_count = 0 WHERE met_count < 0",
    "UPDATE centre_eval_sheet SET met_count = item_count WHERE met_count > item_count",
    "UPDATE centre_eval_sheet SET rate = 0 WHERE rate < 0",
    "UPDATE centre_eval_sheet SET rate = 1 WHERE rate > 1",
    "UPDATE centre_eval_sheet_area SET items = 0 WHERE items < 0",
    "UPDATE centre_eval_sheet_area SET met = 0 WHERE met < 0",
    "UPDATE centre_eval_sheet_area SET met = items WHERE met > items",
    "UPDATE centre_eval_sheet_area SET rate = 0 WHERE rate < 0",
    "UPDATE centre_eval_sheet_area SET rate = 1 WHERE rate > 1",
    "UPDATE centre_eval_prefecture_area SET sheets = 0 WHERE sheets < 0",
    "UPDATE centre_eval_prefecture_area SET mean_rate = 0 WHERE mean_rate < 0",
    "UPDATE centre_eval_prefecture_area SET mean_rate = 1 WHERE mean_rate > 1",
    "UPDATE centre_eval_prefecture_item SET sheets = 0 WHERE sheets < 0",
    "UPDATE centre_eval_prefecture_item SET met_share = 0 WHERE met_share < 0",
    "UPDATE centre_eval_prefecture_item SET met_share = 1 WHERE met_share > 1",
    "UPDATE regional_measure SET decimals = 0 WHERE decimals < 0",
    "UPDATE regional_measure SET decimals = 10 WHERE decimals > 10",
    "UPDATE regional_import SET size = 0 WHERE size < 0",
    "UPDATE regional_import SET written = 0 WHERE written < 0",
    "UPDATE regional_rank SET rank_of = 1 WHERE rank_of < 1",
    "UPDATE regional_rank SET rank_in_prefecture = rank_of"
    " WHERE rank_in_prefecture < 1 OR rank_in_prefecture > rank_of",
    "UPDATE regional_stat SET count = 0 WHERE count < 0",
    "UPDATE regional_stat SET sample_count = 0 WHERE sample_count < 0",
    "UPDATE regional_stat SET sample_count = count WHERE sample_count > count",
    "UPDATE result_entity SET national_rank_of = 0 WHERE national_rank_of < 0",
    "UPDATE result_entity SET prefecture_rank_of = 0 WHERE prefecture_rank_of < 0",
    "UPDATE result_entity SET national_rank = national_rank_of"
    " WHERE national_rank < 0 OR national_rank > national_rank_of",
    "UPDATE result_entity SET prefecture_rank = prefecture_rank_of"
    " WHERE prefecture_rank < 0 OR prefecture_rank > prefecture_rank_of",
    "UPDATE result_member SET rank_of = 0 WHERE rank_of < 0",
    "UPDATE result_member SET rank = rank_of WHERE rank < 0 OR rank > rank_of",
    "UPDATE result_average SET count = 0 WHERE count < 0",
]


def upgrade() -> None:
    bind = op.get_bind()
    for statement in REPAIRS:
        bind.execute(sa.text(statement))
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, condition in checks:
                batch_op.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _ in checks:
                batch_op.drop_constraint(name, type_="check")
