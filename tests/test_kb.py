"""The in-memory knowledge base built from tables of rows."""

from __future__ import annotations

from pipeline.kb import KnowledgeBase

TABLES = {
    "entities": [
        {"entity_id": "Q30", "name": "États-Unis", "type": "STATE"},
        {"entity_id": "Q96", "name": "Mexique", "type": "STATE"},
    ],
    "aliases": [
        {"alias": "États-Unis du Mexique", "entity_id": "Q96"},
        {"alias": "USA", "entity_id": "Q30", "match": "ner"},
    ],
}


def test_aliases_are_indexed_for_the_scan():
    kb = KnowledgeBase.from_tables([TABLES])
    assert set(kb.aliases) == {"etats unis", "mexique", "etats unis du mexique", "usa"}
    assert kb.alias_words == {"etats": 4, "mexique": 1, "usa": 1}
    assert {"", "e", "etats", "etats unis", "etats unis du", "etats unis du mexique", "us"} <= kb.alias_prefixes
    assert "etats unis de" not in kb.alias_prefixes and "unis" not in kb.alias_prefixes
    assert len(kb.alias_prefixes) == len({k[:n] for k in kb.aliases for n in range(len(k) + 1)})
