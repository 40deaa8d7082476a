from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from devtools.factory import get_factory
from rasa_project.chat.pending import Pending, parse_pending
from rasa_project.chat.turn import turn_from
from rasa_project.clock import BusinessClock, clock_from
from rasa_project.mapping import canonical_code, get_mapping
from rasa_project.nlu.language import detect
from rasa_project.settings import PROJECT_ROOT, Settings
from tests.requirements import need, shared_dir


def test_the_project_copy_of_the_demo_factory_matches_shared():
    need("shared")
    assert (PROJECT_ROOT / "data" / "demo_factory.yaml").read_bytes() == (
        shared_dir() / "fixtures" / "demo_factory.yaml").read_bytes()


def test_mapping_tables_agree_with_the_demo_factory():
    factory, mapping = get_factory(), get_mapping()
    for m in factory.materials:
        mapped = mapping.material(m.chat_code)
        assert mapped is not None and mapped.k3_number == m.number and mapped.bom_number == m.bom_number
        for alias in m.aliases:
            assert mapping.material(alias).chat_code == m.chat_code, alias
    for w in factory.work_centers:
        assert mapping.work_center(w.number).daily_capacity == w.daily_capacity


@pytest.mark.parametrize(
    "text,code",
    [("bom2050", "BOM-2050"), ("BOM 2050", "BOM-2050"), ("Bom-2050", "BOM-2050"), ("ＢＯＭ－２０５０", "BOM-2050"),
     ("wc01", "WC-01"), ("hello", None), ("1.01.2050", None)],
)
def test_canonical_code(text, code):
    assert canonical_code(text) == code


@pytest.mark.parametrize(
    "text,kind,number",
    [("rumah motor", "material", "1.01.2050"), ("1.03.4100", "material", "1.03.4100"), ("PCBA", "material", "1.03.4100"),
     ("bengkel stamping", "work_center", "WC-01"), ("注塑车间", "work_center", "WC-02"), ("SMT", "work_center", "WC-03")],
)
def test_mapping_resolves_names_and_aliases(text, kind, number):
    found = getattr(get_mapping(), kind)(text)
    assert found is not None
    assert (found.k3_number if kind == "material" else found.number) == number


def test_unknown_names_do_not_resolve_to_a_guess():
    mapping = get_mapping()
    assert mapping.material("BOM-9999") is None and mapping.material("motor") is None
    assert mapping.work_center("WC-99") is None


def test_business_clock_anchor_and_real_clock():
    anchored = clock_from(Settings(clock_anchor="2025-04-01T09:00:00+08:00"))
    assert anchored.today() == date(2025, 4, 1) and anchored.now().hour == 9
    # a naive anchor is read in the factory's timezone, not UTC
    naive = BusinessClock(tz=anchored.tz, anchor=datetime(2025, 4, 1, 23, 30))
    assert naive.today() == date(2025, 4, 1)
    real = clock_from(Settings(clock_anchor=None))  # explicit: `make test` anchors the environment
    assert abs((real.now() - datetime.now(timezone.utc)).total_seconds()) < 60


def test_settings_never_show_secrets():
    shown = Settings().safe_dict()
    for key in ("k3_password", "k3_app_secret", "dingtalk_app_secret", "ldap_bind_password"):
        assert shown[key] == "**********"
    assert "demo-password" not in repr(Settings().k3_password)


def test_fault_injection_cannot_be_enabled_in_production():
    with pytest.raises(ValueError):
        Settings(env="production", k3_sim_faults_enabled=True)


@pytest.mark.parametrize(
    "text,lang",
    [("创建生产订单 BOM-2050 数量 300", "zh"), ("Buat pesanan produksi BOM-2050 jumlah 300", "id"),
     ("Create production order BOM-2050 qty 300", "en"), ("P20250401 ubah jumlah jadi 500", "id"),
     ("P20250401 改成 500 pcs", "zh"), ("pls change MO000124 qty to 400", "en")],
)
def test_language_detection(text, lang):
    assert detect(text) == lang


def test_turn_uses_channel_metadata_and_sender_id():
    turn = turn_from(
        "cidPMC0001:pmc0001",
        {
            "text": "P20250401 进度怎么样",
            "intent": {"name": "query_order", "confidence": 0.98},
            "entities": [{"entity": "order_no", "value": "P20250401"}, {"entity": "order_no", "value": "MO1"}],
            "metadata": {"conversation_id": "cidPMC0001", "staff_id": "pmc0001", "is_group": True},
            "language": "zh",
        },
    )
    assert (turn.staff_id, turn.conversation_id, turn.lang, turn.is_group) == ("pmc0001", "cidPMC0001", "zh", True)
    assert turn.entity("order_no") == "P20250401"  # the first mention wins
    bare = turn_from("cidX:prod0002", {"text": "stok BOM-2050?"})
    assert (bare.staff_id, bare.conversation_id, bare.lang) == ("prod0002", "cidX", "id")


def test_pending_round_trip():
    assert parse_pending(str(Pending(Pending.CHANGE, "CR-000012"))) == Pending("change", "CR-000012")
    assert parse_pending("draft:7").ref == "7"
    for junk in (None, "", "draft:", "other:1", 5):
        assert parse_pending(junk) is None


def test_project_paths():
    assert Path(Settings().fixture_path).exists()
