"""The PDCA vocabularies stay in step with what they name: the training kinds the metric
sources may name are the training service's own kinds (this test reads both: services may
not import each other, tests may), and the migration renames the demo's wrong kind."""

from __future__ import annotations

import asyncio
import json

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from services.common import migrate
from services.indicators.pdca.vocabulary import check_metric_source, training_kinds
from services.training.programs.models import Kind

RENAMING = "ae126e9afc00"  # the revision that renames the kind in stored sheets


def test_training_kinds_match_the_training_service() -> None:
    assert training_kinds() == [k.value for k in Kind], (
        "services/indicators/pdca/data/metric_sources.json の training_kinds を"
        " services/training/programs/models.py の Kind に合わせてください"
    )


@pytest.mark.parametrize(
    ("source", "ok"),
    [
        ("training.completers:地域ケア会議 司会者・助言者養成:2018-2020", True),
        ("training.sessions:パワーアップセミナー:2025", True),
        ("training.municipalities_reached::2025", True),
        ("support.advisor_hours::2024-2025", True),
        ("training.completers:地域ケア会議推進事業:2018-2020", False),  # no such kind
        ("training.municipalities_reached:パワーアップセミナー:2025", False),  # takes no kind
        ("training.completers:パワーアップセミナー:2020-2018", False),
        ("training.completers:パワーアップセミナー:2010-2025", False),
        ("training.completers:パワーアップセミナー", False),
        ("attendance:パワーアップセミナー:2020", False),
    ],
)
def test_metric_source_check(source: str, ok: bool) -> None:
    assert (check_metric_source(source) is None) is ok


async def test_the_migration_renames_the_demo_kind_in_stored_sheets(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'ind.db'}"
    before = ScriptDirectory.from_config(migrate.alembic_config("indicators")).get_revision(
        RENAMING
    )
    await asyncio.to_thread(migrate.upgrade, "indicators", url, str(before.down_revision))
    old = "training.completers:地域ケア会議推進事業:2018-2020"
    items = [{"code": "x", "title": "t", "metric_source": old, "years": []}]
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO pdca_sheet (created_at, created_by, updated_at, updated_by, version,"
                " entity_code, title, start_fy, end_fy, items) VALUES ('2020-01-01', '', "
                "'2020-01-01', '', 1, '130001', 't', 2018, 2020, :items)"
            ),
            {"items": json.dumps(items, ensure_ascii=False)},
        )
    await asyncio.to_thread(migrate.upgrade, "indicators", url)
    async with engine.connect() as conn:
        stored = (await conn.execute(text("SELECT items, published FROM pdca_sheet"))).one()
    await engine.dispose()
    assert json.loads(stored[0])[0]["metric_source"] == (
        "training.completers:地域ケア会議 司会者・助言者養成:2018-2020"
    )
    assert not stored[1]
