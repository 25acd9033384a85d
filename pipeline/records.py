"""Typed records passed between the stages.

Every record is a frozen dataclass with slots (no per-instance dict: a
hundred thousand articles hold millions of mentions, sentence rows and
evidence rows), except the three the annotate stage makes by the million
(`Token`, `Sentence`, `NerSpan`): those are named tuples, several times
cheaper to build, pickle and load. The records written
as CSV tables
(`DocumentRow`, `Mention`, `Entity`, `Cooccurrence`, `Relation`, `BlockRow`,
`SentenceRow`, `EvidenceRow`) have one field per column: the CSV headers come from `dataclasses.fields`.

Offsets (`start`, `end`, `raw_start`, `raw_end`) are always character offsets
into `Article.raw_text`, the text of the input document as read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import NamedTuple

# ---------------------------------------------------------------- ingest


@dataclass(frozen=True, slots=True)
class Fields:
    """The keys (JSON Lines) or column names (CSV) of an article's fields.

    An empty name means the records have no such field; `text` is required.
    """

    id: str = "id"
    text: str = "text"
    title: str = "title"
    date: str = "date"
    url: str = "url"

    def __post_init__(self) -> None:
        for f in fields(self):
            if not isinstance(getattr(self, f.name), str):
                raise ValueError(f"Fields.{f.name} must be a field name (text); got {getattr(self, f.name)!r}")
        if not self.text:
            raise ValueError("Fields.text must name the field holding the article text; got ''")


@dataclass(frozen=True, slots=True)
class KBTable:
    """The rows of one CSV file of a knowledge-base folder, and the file they came from."""

    path: str  # shown in error messages
    columns: tuple[str, ...]
    rows: list[dict[str, str]]


@dataclass(frozen=True, slots=True)
class InputFile:
    """The bytes of one input file, as read."""

    source: str  # the path as text, shown in messages and documents.csv
    data: bytes


@dataclass(frozen=True, slots=True)
class Article:
    """One input document as read from disk."""

    doc_id: str
    source: str
    title: str
    date: str
    url: str
    raw_text: str
    # raw_text is the input file's own text, as `open(source, encoding="utf-8-sig",
    # newline="").read()` gives it (a .txt or .md file in UTF-8 that needed no
    # change): offsets into it are offsets into the file. Otherwise (HTML, records,
    # compressed, another encoding, text normalised) its text must be saved.
    offsets_in_file: bool = False


@dataclass(frozen=True, slots=True)
class ReadError:
    """An input that could not be read (or a part of one)."""

    source: str
    problem: str


# ----------------------------------------------------------------- clean


@dataclass(frozen=True, slots=True)
class Block:
    """A heading, paragraph, list item or caption of an article.

    `text` has exactly the length of `raw_text[raw_start:raw_end]`: cleaning
    only substitutes characters one for one (typographic apostrophes, no-break
    spaces), so offset `i` in `text` is offset `raw_start + i` in the raw text.
    """

    kind: str
    text: str
    raw_start: int
    raw_end: int


@dataclass(frozen=True, slots=True)
class CleanArticle:
    """An article split into content blocks, page furniture removed."""

    article: Article
    blocks: tuple[Block, ...]

    @property
    def doc_id(self) -> str:
        return self.article.doc_id


# -------------------------------------------------------------- annotate


class Token(NamedTuple):
    """A token of the parsed text; `head` indexes the article's token list."""

    start: int
    end: int
    text: str
    lemma: str
    pos: str
    dep: str
    head: int
    sentence_id: int


class Sentence(NamedTuple):
    sentence_id: int
    block_id: int
    start: int
    end: int
    token_start: int
    token_end: int


class NerSpan(NamedTuple):
    """A span found by the statistical NER model (token indices, end excl.)."""

    token_start: int
    token_end: int
    label: str


@dataclass(frozen=True, slots=True)
class AnnotatedArticle:
    """What the neural model says about one article: the cached result."""

    doc_id: str
    sentences: tuple[Sentence, ...]
    tokens: tuple[Token, ...]
    entities: tuple[NerSpan, ...]


# ------------------------------------------------------------------ link


@dataclass(frozen=True, slots=True)
class Mention:
    """A mention of an entity, a row of mentions.csv."""

    doc_id: str
    sentence_id: int
    start: int
    end: int
    text: str
    label: str
    entity_id: str
    kind: str  # name | demonym | role
    method: str  # kb | model | coref | cluster
    refers_to: str  # entity id of the state a capital or seat stands for


@dataclass(frozen=True, slots=True)
class Entity:
    """A canonical entity, a row of entities.csv."""

    entity_id: str
    name: str
    type: str
    wikidata: str
    mentions: int
    documents: int
    aliases: str  # every surface form seen, "|"-joined, sorted


# ---------------------------------------------------------------- relate


@dataclass(frozen=True, slots=True)
class Cooccurrence:
    """Two entities sharing windows (sentences by default); `source` < `target`.

    The names stand next to the ids in cooccurrences.csv; they are filled at
    export (keyword-only, so the stages build rows without them).
    """

    source: str
    source_name: str = field(default="", kw_only=True)
    target: str
    target_name: str = field(default="", kw_only=True)
    weight: int  # windows shared
    documents: int
    sentences: int  # sentences naming both
    pmi: float
    npmi: float
    jaccard: float
    first_date: str  # earliest date of an article where they co-occur ("" when undated)
    last_date: str


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """A sentence behind an edge or a relation, a row of evidence.csv.

    The sentence is named by (doc_id, sentence_id); its text is written once,
    in sentences.csv, however many edges it supports.
    """

    kind: str  # edge | relation
    source: str
    source_name: str = field(default="", kw_only=True)  # filled at export, like Cooccurrence's
    target: str
    target_name: str = field(default="", kw_only=True)
    relation: str  # relation type for kind "relation", else ""
    doc_id: str
    sentence_id: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Evidence(EvidenceRow):
    """An evidence row with its sentence's text, as the report shows it."""

    text: str


@dataclass(frozen=True, slots=True)
class SentenceRow:
    """Where a sentence lies: kept for windows and evidence, a row of sentences.csv."""

    doc_id: str
    sentence_id: int
    block_id: int
    start: int
    end: int
    text: str = ""  # the sentence, when evidence.csv cites it (sentences.csv); else ""


@dataclass(frozen=True, slots=True)
class Relation:
    """A typed relation read off the dependency parse, a row of relations.csv."""

    doc_id: str
    sentence_id: int
    subject: str  # entity id
    relation: str  # type from models/relations.toml (MEET, VISIT, ...), or the lemma upper-cased
    predicate: str  # verb lemma ("accuser"), or "appos" for an apposition
    object: str  # entity id
    negated: bool
    evidence: str  # the sentence text


@dataclass(frozen=True, slots=True)
class RelationRow:
    """A row of relations.csv: a `Relation` with the names of its two entities next to their ids."""

    doc_id: str
    sentence_id: int
    subject: str
    subject_name: str
    relation: str
    predicate: str
    object: str
    object_name: str
    negated: bool
    evidence: str


# ---------------------------------------------------------------- export


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A row of documents.csv: what happened to one input article."""

    doc_id: str
    source: str
    title: str
    date: str
    url: str
    chars: int
    sentences: int
    mentions: int
    status: str  # ok | empty | skipped: ... | error: ...
    duplicate_of: str  # doc_id of the earlier copy of a syndicated story
    # the file the row's offsets (and those of every other table) index: the
    # input file for .txt/.md, else `texts/<name>` in the output folder
    text_file: str = ""


@dataclass(frozen=True, slots=True)
class BlockRow:
    """A row of blocks.csv: the content kept by cleaning, in raw offsets."""

    doc_id: str
    block_id: int
    kind: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ArticleResult:
    """All the corpus-level stages need of one article; cached per article.

    `evidence` holds the text of the sentences naming two or more entities
    (the only text kept after an article is linked).
    """

    document: DocumentRow
    blocks: tuple[BlockRow, ...]
    sentences: tuple[SentenceRow, ...]
    mentions: tuple[Mention, ...]
    relations: tuple[Relation, ...]
    evidence: tuple[tuple[int, str], ...]  # (sentence_id, text)


@dataclass(frozen=True, slots=True)
class GephiNode:
    """A row of nodes.csv, Gephi's node spreadsheet: its column names are Gephi's."""

    Id: str
    Label: str
    type: str
    wikidata: str
    mentions: int
    documents: int
    degree: int
    weighted_degree: int
    pagerank: float
    betweenness: float
    community: int


@dataclass(frozen=True, slots=True)
class GephiEdge:
    """A row of edges.csv, Gephi's edge spreadsheet."""

    Source: str
    Target: str
    Weight: int
    Type: str  # Undirected
    documents: int
    sentences: int
    pmi: float
    npmi: float
    jaccard: float
    first_date: str
    last_date: str


@dataclass(frozen=True, slots=True)
class CorpusTables:
    """The rows of every table of a run, as the corpus-level stages leave them."""

    documents: Sequence[DocumentRow] = ()
    blocks: Sequence[BlockRow] = ()
    sentences: Sequence[SentenceRow] = ()
    mentions: Sequence[Mention] = ()
    entities: Sequence[Entity] = ()
    edges: Sequence[Cooccurrence] = ()
    relations: Sequence[Relation] = ()
    evidence: Sequence[Evidence] = ()
    errors: Sequence[ReadError] = ()


def column_names(record_type: type) -> list[str]:
    """The CSV header of a record type, in field order."""
    return [f.name for f in fields(record_type)]
