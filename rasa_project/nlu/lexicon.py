"""Words the NLU derives from the mapping tables: the alias index and the Jieba user words."""

from __future__ import annotations

import re

from rasa_project.nlu.normalize.codes import AliasIndex, build_alias_index

_CJK = re.compile(r"[\u3400-\u9fff]")
_INDEX_CACHE: dict[int, tuple[object, AliasIndex]] = {}


def alias_index_for(tables) -> AliasIndex:
    """The alias index of ``tables``, built once per loaded table set (tables reload on change)."""
    cached = _INDEX_CACHE.get(id(tables))
    if cached is None or cached[0] is not tables:
        _INDEX_CACHE.clear()
        cached = (tables, build_alias_index(tables))
        _INDEX_CACHE[id(tables)] = cached
    return cached[1]


def jieba_words(tables) -> list[str]:
    """Chinese names and aliases of materials, work centers and production types, sorted."""
    names: set[str] = set()
    for m in tables.materials:
        names.update([*m.name.values(), *m.aliases])
    for w in tables.work_centers:
        names.update([*w.name.values(), *w.aliases])
    for t in tables.production_types:
        names.update([*t.name.values(), *t.aliases])
    return sorted(n.strip() for n in names if n and _CJK.search(n) and " " not in n.strip())
