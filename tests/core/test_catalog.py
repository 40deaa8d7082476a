import pytest

from rasa_project import catalog


@pytest.mark.parametrize("key", sorted(catalog.MESSAGES))
def test_every_message_has_three_languages_with_the_same_placeholders(key):
    entry = catalog.MESSAGES[key]
    assert set(entry) == set(catalog.LANGS), key
    for lang in catalog.LANGS:
        assert entry[lang].strip(), (key, lang)
    holes = {lang: catalog.placeholders(entry[lang]) for lang in catalog.LANGS}
    assert holes["zh"] == holes["id"] == holes["en"], (key, holes)


def test_unknown_key_is_an_error_not_a_silent_blank():
    with pytest.raises(catalog.MissingMessage):
        catalog.text("no.such.key", "zh")


def test_text_fills_placeholders_in_the_requested_language():
    assert "P20250401" in catalog.text("order.not_found", "id", bill_no="P20250401")
    assert catalog.text("order.not_found", "id", bill_no="X") != catalog.text("order.not_found", "en", bill_no="X")
