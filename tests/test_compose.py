"""compose.yaml: valid against the compose specification (offline) and wired as intended."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
APPS = {"indicators": 8001, "support_cases": 8002, "training": 8003, "gateway": 8000}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_valid_against_compose_spec() -> None:
    exe = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    result = subprocess.run(
        [exe, "--builtin-schema", "vendor.compose-spec", str(ROOT / "compose.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_postgres_with_named_volume_and_healthcheck(compose: dict) -> None:
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    named = [v.split(":")[0] for v in db["volumes"] if not v.startswith(".")]
    assert named and set(named) <= set(compose["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_one_database_per_service_created_at_first_start(compose: dict) -> None:
    init = [v for v in compose["services"]["db"]["volumes"] if "docker-entrypoint-initdb.d" in v]
    sql = (ROOT / init[0].split(":")[0]).read_text()
    assert set(re.findall(r"CREATE DATABASE (\w+);", sql)) == {
        "indicators",
        "support_cases",
        "training",
        "gateway",
    }
    for svc in ("indicators", "support_cases", "training", "gateway"):
        url = compose["services"][svc]["environment"][f"{svc.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.endswith(f"@db:5432/{svc}")


@pytest.mark.parametrize(("app", "port"), APPS.items())
def test_every_app_is_checked_on_readyz(compose: dict, app: str, port: int) -> None:
    hc = " ".join(compose["services"][app]["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/readyz" in hc


@pytest.mark.parametrize("svc", ["indicators", "support_cases", "training"])
def test_services_wait_for_db_and_migrate_first(compose: dict, svc: str) -> None:
    s = compose["services"][svc]
    assert s["depends_on"] == {"db": {"condition": "service_healthy"}}
    cmd = " ".join(s["command"])
    assert cmd.index(f"scripts.migrate {svc}") < cmd.index(f"scripts.serve {svc}")
    assert "ports" not in s, "services are reachable on the internal network only"


def test_gateway_waits_for_healthy_services_and_is_the_only_public_port(compose: dict) -> None:
    gw = compose["services"]["gateway"]
    assert gw["depends_on"] == {
        s: {"condition": "service_healthy"}
        for s in ("db", "indicators", "support_cases", "training")
    }
    cmd = " ".join(gw["command"])
    assert cmd.index("scripts.migrate gateway") < cmd.index("scripts.serve gateway")
    published = [name for name, s in compose["services"].items() if s.get("ports")]
    assert published == ["gateway"]
    assert compose["networks"]["internal"]["internal"] is True


@pytest.mark.parametrize("app", APPS)
def test_workers_per_app_default_to_two_from_one_setting(compose: dict, app: str) -> None:
    prefix = app.upper()
    value = compose["services"][app]["environment"][f"{prefix}_WORKERS"]
    assert value == f"${{{prefix}_WORKERS:-${{BANSO_WORKERS:-2}}}}"
    assert "BANSO_WORKERS" in (ROOT / "compose.yaml").read_text(encoding="utf-8").split("name:")[0]


class TestServeWorkers:
    """scripts.serve takes its worker count from <APP>_WORKERS (1 when unset, as under make run)."""

    def test_unset_is_one_process(self) -> None:
        from scripts.serve import workers_of

        assert workers_of("training", {}) == 1

    def test_a_number_or_auto(self) -> None:
        import os

        from scripts.serve import workers_of

        assert workers_of("support_cases", {"SUPPORT_CASES_WORKERS": "2"}) == 2
        assert workers_of("gateway", {"GATEWAY_WORKERS": "auto"}) == (os.cpu_count() or 1)
        assert workers_of("gateway", {"TRAINING_WORKERS": "4"}) == 1

    @pytest.mark.parametrize("bad", ["0", "-1", "two"])
    def test_a_bad_value_stops_start_up_saying_what_to_give(self, bad: str) -> None:
        from scripts.serve import workers_of

        with pytest.raises(SystemExit, match="INDICATORS_WORKERS"):
            workers_of("indicators", {"INDICATORS_WORKERS": bad})
