"""Every catalog key the workflow can return exists, in all three languages, with one placeholder set."""

import re
from pathlib import Path

import pytest

from k3_client.models import OrderStatus
from rasa_project import catalog
from rasa_project.ordering.states import Change

SOURCES = Path(catalog.__file__).parent / "ordering"
KEY = re.compile(r'"(workflow\.[a-z0-9_]*[a-z0-9])"')  # a key, not a prefix such as "workflow.field_"


def used_keys() -> set[str]:
    keys = set()
    for path in SOURCES.glob("*.py"):
        keys |= set(KEY.findall(path.read_text(encoding="utf-8")))
    keys |= {f"workflow.state_{s.value}" for s in Change}
    keys |= {f"workflow.status_{int(s)}" for s in OrderStatus}
    keys |= {
        f"workflow.slot_{n}" for n in ("material", "qty", "plan_finish", "work_center", "production_type")
    }
    return keys


@pytest.mark.parametrize("key", sorted(used_keys()))
def test_key_exists_in_every_language(key):
    entry = catalog.MESSAGES[key]
    assert set(entry) == set(catalog.LANGS)
    assert len({frozenset(catalog.placeholders(t)) for t in entry.values()}) == 1


def test_no_unused_workflow_keys():
    defined = {k for k in catalog.MESSAGES if k.startswith("workflow.")}
    assert defined - used_keys() == set()
