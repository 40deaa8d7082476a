import pytest

from rasa_project.nlu.language import detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("P20250401 改成 500 pcs", "zh"), ("pls change MO000124 qty to 400", "en"), ("stok BOM-2050?", "id"),
        ("saya setujui P20250402", "id"), ("disetujui", "id"), ("jumlahnya berapa", "id"), ("approve", "en"),
        ("ya", "id"), ("yes", "en"), ("batal", "id"), ("no", "en"), ("order P20250499 status?", "en"),
        ("P20250403 produksi 120, reject 3", "id"),  # Indonesian shop talk borrows English words
        ("", "en"),
    ],
)
def test_detect(text, lang):
    assert detect(text) == lang
