"""docs/SETTINGS.md is generated from the Settings object and documents every setting."""

from __future__ import annotations

from rasa_project import settings_doc
from rasa_project.settings import Settings


def test_the_settings_table_is_current():
    assert settings_doc.TABLE_PATH.read_text(encoding="utf-8") == settings_doc.render(), (
        "docs/SETTINGS.md is stale: run .venv/bin/python -m rasa_project.settings_doc --write")


def test_every_setting_has_a_row_with_a_description_and_no_secret_value():
    rows = {line.split("|")[1].strip().strip("`"): line for line in settings_doc.render().splitlines()
            if line.startswith("| `DINGK3_")}
    assert set(rows) == {f"DINGK3_{name.upper()}" for name in Settings.__fields__}
    for variable, line in rows.items():
        assert line.split("|")[4].strip(), f"{variable} has no description"
    for name, field in Settings.__fields__.items():
        secret = getattr(field.default, "get_secret_value", None)
        if secret:
            assert secret() not in settings_doc.render(), name
