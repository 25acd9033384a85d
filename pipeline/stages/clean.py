"""Clean stage: raw article text -> content blocks with raw offsets.

Scraped news pages carry furniture (audio widgets, breadcrumbs, "PREV / NEXT"
links, captions repeating the next heading, author blurbs). The stage splits
the text into lines, drops the furniture, labels each remaining line as a
heading, paragraph or list item, and normalises characters one for one so that
every block offset maps straight back to the raw text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.records import Article, Block, CleanArticle
from pipeline.text import fold

# Characters replaced one for one before NLP: typographic apostrophes and
# quotes, no-break and other odd spaces. Length is kept, so offsets stay valid.
_CHAR_MAP = (
    ("\u2019", "'"),  # right single quotation mark (the French apostrophe)
    ("\u2018", "'"),
    ("\u02bc", "'"),
    ("\u00b4", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u00a0", " "),  # no-break space
    ("\u202f", " "),  # narrow no-break space
    ("\u2009", " "),
    ("\u2007", " "),
    ("\u200b", " "),  # zero-width space
    ("\t", " "),
)
_BULLET = re.compile(r"^[•·▪◦●■\-–—*]\s+")
_SENTENCE_END = re.compile(r"[.!?…»\"')]\s*$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_ELISION = re.compile(r"^[lLdDjJ]['’]")
# Words shorter than this (du, de, en, sur) do not decide whether a heading
# is in Title Case.
_TITLE_WORDS_MIN = 4


# How many lines the furniture verdicts and the proper-word sets are kept for.
_REMEMBERED_LINES = 1024


@dataclass(frozen=True)
class BoilerplateRules:
    """Editable furniture rules (see models/boilerplate.toml)."""

    line_patterns: tuple[re.Pattern[str], ...]
    rubrics: tuple[str, ...]
    # Verdicts on lines seen before: a site's furniture and syndicated copies
    # repeat whole lines, and a pattern like ".*\bcontactez-nous\b.*" costs a
    # regular-expression step per character of every paragraph.
    _verdicts: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict) -> BoilerplateRules:
        """From the tables of a rules file (`models/boilerplate.toml`)."""
        return cls.from_lists(data.get("line_patterns", []), data.get("rubrics", []))

    @classmethod
    def from_lists(cls, line_patterns: Iterable[str], rubrics: Iterable[str]) -> BoilerplateRules:
        compiled = []
        for pattern in line_patterns:
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as err:
                raise ValueError(f"boilerplate pattern {pattern!r} is not a valid regular expression: {err}") from err
        # Longest rubric first, so "Politiques" wins over "Politique".
        return cls(tuple(compiled), tuple(sorted(rubrics, key=len, reverse=True)))

    def is_furniture(self, line: str) -> bool:
        """Whether one of the line patterns matches the whole line."""
        verdict = self._verdicts.get(line)
        if verdict is None:
            verdict = any(p.fullmatch(line) for p in self.line_patterns)
            if len(self._verdicts) >= _REMEMBERED_LINES:
                self._verdicts.clear()
            self._verdicts[line] = verdict
        return verdict


# ------------------------------------------------------------ str -> str


def normalize_chars(text: str) -> str:
    """Typographic apostrophes/quotes to ASCII, odd spaces to spaces; same length."""
    # One str.replace per character: str.translate with a mapping looks up
    # every character of non-ASCII text in a dict, a hundred times slower.
    for char, replacement in _CHAR_MAP:
        text = text.replace(char, replacement)
    return text


def decapitalize_title_case(heading: str, proper: set[str]) -> str:
    """Lowercase the Title-Case words of a heading that are not proper names.

    "Une Coopération Militaire au Cœur des Discussions" -> "Une coopération
    militaire au cœur des discussions". `proper` holds words seen capitalised
    inside sentences of the same article: those keep their capital. The first
    word keeps its capital. Headings that are not in Title Case are returned
    unchanged. The result has the same length as the input.
    """
    words = list(_WORD.finditer(heading))
    long_words = [m.group() for m in words[1:] if len(m.group()) >= _TITLE_WORDS_MIN]
    if len(long_words) < 2 or sum(w[0].isupper() for w in long_words) < 0.6 * len(long_words):
        return heading
    chars = list(heading)
    for m in words[1:]:
        word = m.group()
        if word[0].isupper() and not (len(word) > 1 and word.isupper()) and _strip_elision(word) not in proper:
            lowered = word[0].lower()
            if len(lowered) == 1:
                chars[m.start()] = lowered
    return "".join(chars)


def _strip_elision(word: str) -> str:
    return _ELISION.sub("", word)


# ---------------------------------------------------------- line rules


def is_furniture_line(line: str, rules: BoilerplateRules) -> bool:
    """A line that one of the editable patterns calls page furniture."""
    return rules.is_furniture(line)


def is_breadcrumb(line: str, rules: BoilerplateRules) -> bool:
    """A line starting with a section name glued to a capitalised word
    ("ActualitésInternational", "PolitiquesNouvelle visite ...")."""
    for rubric in rules.rubrics:
        if line.startswith(rubric):
            rest = line[len(rubric) :]
            if rest == "" or rest[0].isupper():
                return True
    return False


def block_kind(line: str) -> str:
    """heading, list_item or paragraph, from the shape of one line."""
    if _BULLET.match(line):
        return "list_item"
    if len(line.split(maxsplit=20)) <= 20 and (line.endswith(("?", "!")) or not _SENTENCE_END.search(line)):
        return "heading"
    return "paragraph"


def _content_words(line: str) -> set[str]:
    return {fold(w) for w in _WORD.findall(normalize_chars(line)) if len(w) > 3}


def repeats_heading(line: str, heading: str) -> bool:
    """An image alt text or caption that repeats the heading after it."""
    words = _content_words(line)
    if not words or normalize_chars(line).strip() == normalize_chars(heading).strip():
        return False
    return len(words & _content_words(heading)) >= 0.75 * len(words)


# ------------------------------------------------------------------ stage


def split_lines(text: str, max_chars: int = 20_000) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line, surrounding spaces left out.

    A line longer than `max_chars` is cut after the last sentence end (or
    else the last space) before the limit, so no block outgrows the model.
    """
    spans = []
    for m in re.finditer(r"[^\n]+", text):
        line = m.group()
        stripped = line.strip()
        if stripped:
            start = m.start() + (len(line) - len(line.lstrip()))
            spans += _cut(text, start, start + len(stripped), max_chars)
    return spans


def _cut(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while end - start > max_chars:
        window = text[start : start + max_chars]
        cut = max(window.rfind(". "), window.rfind("! "), window.rfind("? "))
        cut = cut + 1 if cut > max_chars // 2 else window.rfind(" ")
        cut = cut if cut > 0 else max_chars
        pieces.append((start, start + cut))
        start += cut
        while start < end and text[start].isspace():
            start += 1
    return pieces + [(start, end)] if start < end else pieces


def clean(article: Article, rules: BoilerplateRules, *, max_block_chars: int = 20_000) -> CleanArticle:
    """Split one article into content blocks, furniture removed."""
    raw = article.raw_text.replace("\r", "\n") if "\r" in article.raw_text else article.raw_text
    spans = split_lines(raw, max_block_chars)
    lines = [raw[s:e] for s, e in spans]
    # normalize_chars maps one character to one, so a slice of the normalised
    # text is the normalised line.
    normalized = normalize_chars(raw)
    texts = [normalized[s:e] for s, e in spans]
    keep = [not is_furniture_line(text, rules) for text in texts]
    _drop_breadcrumbs(lines, keep, rules)
    kinds = [block_kind(line) for line in lines]
    _drop_repeated_captions(lines, kinds, keep)
    _drop_trailing_furniture(lines, kinds, keep)

    proper = _proper_words(line for line, k, kept in zip(lines, kinds, keep) if kept and k != "heading")
    blocks = []
    for (start, end), text, kind, kept in zip(spans, texts, kinds, keep):
        if not kept:
            continue
        if kind == "heading":
            text = decapitalize_title_case(text, proper)
        blocks.append(Block(kind=kind, text=text, raw_start=start, raw_end=end))
    return CleanArticle(article=article, blocks=tuple(blocks))


def clean_all(
    articles: Iterable[Article], rules: BoilerplateRules, *, max_block_chars: int = 20_000
) -> Iterator[CleanArticle]:
    for article in articles:
        yield clean(article, rules, max_block_chars=max_block_chars)


def _drop_breadcrumbs(lines: list[str], keep: list[bool], rules: BoilerplateRules) -> None:
    # Only the top of the page carries breadcrumbs.
    for i, line in enumerate(lines[:4]):
        if is_breadcrumb(line, rules):
            keep[i] = False


def _drop_repeated_captions(lines: list[str], kinds: list[str], keep: list[bool]) -> None:
    # Alt text and caption of an illustration, both repeating the heading that
    # follows them: at most two lines before a heading.
    for i, kind in enumerate(kinds):
        if kind != "heading" or not keep[i]:
            continue
        for j in (i - 1, i - 2):
            if j >= 0 and keep[j] and kinds[j] != "list_item" and repeats_heading(lines[j], lines[i]):
                keep[j] = False
            else:
                break


def _drop_trailing_furniture(lines: list[str], kinds: list[str], keep: list[bool]) -> None:
    # Short lines after the last paragraph: widget titles, link lists.
    for i in range(len(lines) - 1, -1, -1):
        if not keep[i]:
            continue
        if kinds[i] == "paragraph" or _SENTENCE_END.search(lines[i]):
            break
        keep[i] = False


def _proper_words(paragraphs: Iterable[str]) -> set[str]:
    """Words written with a capital inside a sentence (not first of it)."""
    proper: set[str] = set()
    for text in paragraphs:
        proper.update(_capitalised_inside(text))
    return proper


@lru_cache(maxsize=_REMEMBERED_LINES)
def _capitalised_inside(text: str) -> frozenset[str]:
    """The words of one paragraph written with a capital inside a sentence,
    elision stripped; remembered, as paragraphs repeat in syndicated copies."""
    words = set()
    for m in _WORD.finditer(normalize_chars(text)):
        word = m.group()
        if word[0].isupper() and _char_before(text, m.start()) not in _SENTENCE_START_AFTER:
            words.add(_strip_elision(word))
    return frozenset(words)


# What precedes the first word of a sentence: nothing, or one of these.
_SENTENCE_START_AFTER = ("", ".", "!", "?", ":", "«", '"')


def _char_before(text: str, position: int) -> str:
    """The last non-space character before `position`, "" when there is none."""
    i = position - 1
    while i >= 0 and text[i].isspace():
        i -= 1
    return text[i] if i >= 0 else ""
