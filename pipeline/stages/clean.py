"""Clean stage: raw article text -> content blocks with raw offsets.

Scraped news pages carry furniture (audio widgets, breadcrumbs, "PREV / NEXT"
links, captions repeating the next heading, author blurbs), and so do the
texts made from them: one-line bodies where « Lire aussi : » and the
headlines of other articles sit between two sentences, Markdown posts with a
front matter, links and escapes. The stage splits the text into lines, hides
markup, drops the furniture (whole lines, or parts of a line: a line can give
several blocks), labels each block as a heading, paragraph or list item, and
normalises characters one for one so that every block offset maps straight
back to the raw text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline.records import Article, Block, CleanArticle
from pipeline.text import fold

# Characters replaced before NLP: typographic apostrophes and quotes,
# no-break and other odd spaces. Length is kept, so offsets stay valid.
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
    # a quote escaped with a backslash (text exported to JSON or CSV twice):
    # the backslash is not part of the text
    ("\\'", " '"),
    ('\\"', ' "'),
)
_BULLET = re.compile(r"^[•·▪◦●■\-–—*+]\s+")
_SENTENCE_END = re.compile(r"[.!?…»\"')]\s*$")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_CAPITALISED_WORD = re.compile(r"(?<![\w'’-])[A-ZÀ-ÖØ-ÞŒ][\w'’-]*")
_ELISION = re.compile(r"^[lLdDjJ]['’]")
# a byline: "Par Will Vernon", "Par Awa Traoré et Jean Dupont", "By Jane Doe"
_BYLINE = re.compile(r"\s*(?:Par|By)\s+[A-ZÀ-ÖØ-Þ][\w'’.-]*(?:\s+(?:et\s+|and\s+)?[A-ZÀ-ÖØ-Þ][\w'’.-]*){0,5}\s*")
# Words shorter than this (du, de, en, sur) do not decide whether a heading
# is in Title Case.
_TITLE_WORDS_MIN = 4


# How many lines the furniture verdicts and the proper-word sets are kept for.
_REMEMBERED_LINES = 1024


@dataclass(frozen=True)
class InlineRules:
    """Rules for furniture inside a line (the [inline] table of models/boilerplate.toml).

    Word lists hold folded words (`pipeline.text.fold`); elided words end with
    their apostrophe ("l'", "qu'").
    """

    markers: re.Pattern[str] | None = None  # labels of link and video widgets
    credits: re.Pattern[str] | None = None  # photo credit labels
    captions: re.Pattern[str] | None = None  # caption labels
    starters: frozenset[str] = frozenset()  # words that begin sentences, not names
    particles: frozenset[str] = frozenset()  # words a name may follow
    openers: frozenset[str] = frozenset()  # starters that also open names
    abbreviations: frozenset[str] = frozenset()  # words before a full stop that ends nothing

    @classmethod
    def from_dict(cls, data: dict) -> InlineRules:
        """From the [inline] table of a rules file."""
        return cls(
            markers=_alternation(data.get("markers", []), "inline.markers"),
            credits=_alternation(data.get("credits", []), "inline.credits"),
            captions=_alternation(data.get("captions", []), "inline.captions"),
            starters=_folded(data.get("sentence_starters", [])),
            particles=_folded(data.get("name_particles", [])),
            openers=_folded(data.get("name_openers", [])),
            abbreviations=_folded(data.get("abbreviations", [])),
        )


@dataclass(frozen=True)
class BoilerplateRules:
    """Editable furniture rules (see models/boilerplate.toml)."""

    line_patterns: tuple[re.Pattern[str], ...]
    rubrics: tuple[str, ...]
    inline: InlineRules = InlineRules()
    # front-matter keys whose value is content when the body does not repeat it
    content_keys: frozenset[str] = frozenset()
    # Verdicts on lines seen before: a site's furniture and syndicated copies
    # repeat whole lines, and a pattern like ".*\bcontactez-nous\b.*" costs a
    # regular-expression step per character of every paragraph.
    _verdicts: dict[str, bool] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: dict) -> BoilerplateRules:
        """From the tables of a rules file (`models/boilerplate.toml`)."""
        rules = cls.from_lists(data.get("line_patterns", []), data.get("rubrics", []))
        return cls(
            rules.line_patterns,
            rules.rubrics,
            InlineRules.from_dict(data.get("inline", {})),
            _folded(data.get("markdown", {}).get("content_keys", [])),
        )

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


def _alternation(patterns: Iterable[str], name: str) -> re.Pattern[str] | None:
    """One pattern matching any of `patterns`, case-insensitively, where a
    capitalised word (or a ©) starts: labels are capitalised. None for no patterns."""
    patterns = list(patterns)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as err:
            raise ValueError(f"boilerplate {name}: {pattern!r} is not a valid regular expression: {err}") from err
    if not patterns:
        return None
    # the look-ahead fails at once on the lower-case letters and spaces that
    # most positions of a text hold, so a search costs little more than a scan
    capitalised = r"(?:\b(?=(?-i:[A-ZÀ-ÖØ-Þ]))|(?=©))"
    return re.compile(capitalised + "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")", re.IGNORECASE)


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(normalize_chars(w)) for w in words)


# ------------------------------------------------------------ str -> str


def normalize_chars(text: str) -> str:
    """Typographic apostrophes/quotes to ASCII, odd spaces (and backslashes
    escaping a quote) to spaces; same length."""
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


# Markup hidden from the model: each step replaces markup characters with
# spaces (line breaks are kept), so the text keeps its length and every
# character its position.


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def _blank_match(match: re.Match[str]) -> str:
    return _blank(match.group())


_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_HTML_TAG = re.compile(
    r"</?(?:a|abbr|article|aside|audio|b|blockquote|br|center|cite|code|del|div|em|figcaption|figure|font|"
    r"footer|h[1-6]|header|hr|i|iframe|img|ins|li|main|mark|nav|ol|p|picture|pre|q|s|section|small|source|"
    r"span|strong|sub|sup|table|tbody|td|th|thead|tr|u|ul|video)\b(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
# [text](target "title"), ![alt](src): the text stays, the rest is markup.
_LINK = re.compile(r"(!?\[)([^\[\]\n]*)(\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+[\"'(][^\n]*?[\"')])?\s*\))")
_REFERENCE_LINK = re.compile(r"(!?\[)([^\[\]\n]+)(\]\[[^\[\]\n]*\])")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S+.*$", re.MULTILINE)
_AUTOLINK = re.compile(r"<(?:https?://|mailto:|www\.)[^<>\s]*>", re.IGNORECASE)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"«»\[\]()]*(?:\([^\s()]*\)[^\s<>\"«»\[\]()]*)*", re.IGNORECASE)
_URL_TRAILER = re.compile(r"[.,;:!?'’]+$")
# e-mail addresses and social-media handles ("Twitter@bbcafrique", "@UN"): addresses, not names
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HANDLE = re.compile(r"@\w{2,}")
# "\'" "\*" "\[" ... : a Markdown or programming-language escape of punctuation.
_ESCAPE = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!|<>~'\"])")
# A line break written out as the two characters "\" and "n" (texts that went
# through a JSON or CSV export twice): a break between blocks.
_ESCAPED_BREAK = re.compile(r"(?:\\[nrt])+(?![a-zà-ÿ])")
_ATX_HEADING = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)(.*?)((?:[ \t]+#+)?[ \t]*)$", re.MULTILINE)
_RULE_LINE = re.compile(r"^ {0,3}(?:(?:[-*_=~`][ \t]*){3,})$", re.MULTILINE)
_EMPHASIS = re.compile(r"(?<![\w*\\])(\*{1,3}|_{1,3})(?=[^\s*_])([^\n]*?[^\s*_\\])\1(?![\w*])")
_BLOCKQUOTE = re.compile(r"^( {0,3}(?:>[ \t]?)+)", re.MULTILINE)
_MARKDOWN_SIGNS = re.compile(r"\[[^\[\]\n]+\]\([^()\s]*\)|^#{1,6} \S", re.MULTILINE)


def hide_html(text: str) -> str:
    """HTML comments and tags left in a text: blanked, same length."""
    if "<" not in text:
        return text
    return _HTML_TAG.sub(_blank_match, _HTML_COMMENT.sub(_blank_match, text))


def hide_links(text: str) -> str:
    """Markdown links keep their text; brackets, targets, bare URLs, link
    definitions, e-mail addresses and @handles are blanked ("[l'Otan](https://…)"
    -> " l'Otan          ", "Twitter@bbcafrique" -> "Twitter           ")."""
    if "[" in text:
        text = _LINK.sub(lambda m: " " * len(m.group(1)) + m.group(2) + _blank(m.group(3)), text)
        text = _REFERENCE_LINK.sub(lambda m: " " * len(m.group(1)) + m.group(2) + _blank(m.group(3)), text)
        text = _LINK_DEFINITION.sub(_blank_match, text)
    if "<" in text:
        text = _AUTOLINK.sub(_blank_match, text)
    if "://" in text or "www." in text:
        text = _URL.sub(_blank_url, text)
    if "@" in text:
        text = _HANDLE.sub(_blank_match, _EMAIL.sub(_blank_match, text))
    return text


def _blank_url(match: re.Match[str]) -> str:
    # the punctuation after a URL ends the sentence, it is not part of the URL
    url = match.group()
    trailer = _URL_TRAILER.search(url)
    keep = len(trailer.group()) if trailer else 0
    return " " * (len(url) - keep) + url[len(url) - keep :]


def hide_line_breaks(text: str) -> str:
    """Line breaks written out ("\\n", "\\r\\n") blanked; the stage cuts blocks there."""
    return _ESCAPED_BREAK.sub(_blank_match, text) if "\\" in text else text


def hide_escapes(text: str) -> str:
    """Markdown backslash escapes blanked: "\\*" -> " *", "Kim Jong\\-un" -> "Kim Jong -un"."""
    return _ESCAPE.sub(" ", text) if "\\" in text else text


def hide_markdown(text: str) -> str:
    """Markdown structure blanked: heading marks, emphasis marks, quote marks,
    horizontal rules. Same length."""
    text = _RULE_LINE.sub(_blank_match, text)
    text = _ATX_HEADING.sub(lambda m: m.group(1) + " " * len(m.group(2)) + m.group(3) + _blank(m.group(4)), text)
    text = _BLOCKQUOTE.sub(_blank_match, text)
    previous = None
    while previous != text:  # "***gras et italique***" inside "**…**"
        previous, text = text, _EMPHASIS.sub(lambda m: " " * len(m.group(1)) + m.group(2) + " " * len(m.group(1)), text)
    return text


def looks_like_markdown(text: str, source: str = "") -> bool:
    """A Markdown post: a .md file, or a text with a Markdown link or heading."""
    return source.lower().endswith((".md", ".markdown", ".mdx")) or bool(_MARKDOWN_SIGNS.search(text))


def hide_markup(text: str, markdown: bool = False) -> str:
    """Everything of a text that is markup, blanked; same length, line breaks kept.

    HTML and URLs are hidden in any text; backslash escapes, heading, quote
    and emphasis marks only in Markdown, where they are markup for sure.
    """
    text = hide_line_breaks(hide_links(hide_html(text)))
    return hide_markdown(hide_escapes(text)) if markdown else text


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


def _repeated_in(text: str, lines: Iterable[str]) -> bool:
    """Whether one of `lines` holds (nearly) all the words of `text`."""
    words = _content_words(text)
    return bool(words) and any(len(words & _content_words(line)) >= 0.9 * len(words) for line in lines)


# ------------------------------------------------------ front matter

_FRONT_MATTER_FENCES = {"---": ("---", "..."), "+++": ("+++",)}
# key: value, key = value, an indented continuation, a list item, a TOML table, a comment
_FRONT_MATTER_LINE = re.compile(r"""["']?[\w.-]+["']?\s*[:=].*|\s.*|-(?:\s.*)?|\[\[?[\w.-]+\]\]?|\#.*""")
_FRONT_MATTER_PAIR = re.compile(r"""["']?([\w.-]+)["']?\s*[:=]\s*(.*?)\s*$""")
_FRONT_MATTER_SCALARS = ("", ">", "|", ">-", "|-", ">+", "|+")
_FRONT_MATTER_MAX_LINES = 200


def front_matter(lines: list[str], content_keys: frozenset[str]) -> tuple[int, dict[int, tuple[int, int, str]]]:
    """A YAML (---) or TOML (+++) front matter opening a post.

    Args:
        lines: the text's non-blank lines, with their indentation.
        content_keys: folded keys whose values may be content.
    Returns:
        how many of `lines` it takes (0 when there is none), and, for each
        line holding the value of a content key: line index -> (start, end,
        key), the value's place in the line without its quotes.
    """
    if not lines or lines[0].strip() not in _FRONT_MATTER_FENCES:
        return 0, {}
    closing = _FRONT_MATTER_FENCES[lines[0].strip()]
    values: dict[int, tuple[int, int, str]] = {}
    key = ""  # the key the next indented lines belong to
    for i, line in enumerate(lines[1:_FRONT_MATTER_MAX_LINES], start=1):
        if line.strip() in closing:
            return i + 1, values
        if not _FRONT_MATTER_LINE.fullmatch(line):
            return 0, {}
        pair = _FRONT_MATTER_PAIR.match(line)
        if pair and not line.startswith(("-", "#", "[")):
            key, value = fold(pair.group(1)), pair.group(2)
            if key in content_keys and value not in _FRONT_MATTER_SCALARS:
                values[i] = (*_unquoted(line, pair.start(2), pair.end(2)), key)
        elif key in content_keys and line[:1].isspace():
            values[i] = (len(line) - len(line.lstrip()), len(line), key)  # a line of a block scalar
    return 0, {}


def _unquoted(line: str, start: int, end: int) -> tuple[int, int]:
    if end - start >= 2 and line[start] in "\"'" and line[end - 1] == line[start]:
        return start + 1, end - 1
    return start, end


# ------------------------------------------------- furniture in a line


@dataclass(frozen=True)
class ArticleWords:
    """What the inline rules know of an article's vocabulary."""

    lower: frozenset[str] = frozenset()  # folded words the article writes in lower case
    proper: frozenset[str] = frozenset()  # words it writes with a capital inside a sentence


# A headline of another article has at least this many words, and at most that many;
# without a label before it, at most that many.
_HEADLINE_WORDS = (2, 40)
_UNLABELLED_WORDS = 20
_OPENING_QUOTES = '"«'
_CLOSERS = "\"»')]"
_ELIDED = re.compile(r"^(?:[ldjcsnmt]|qu|lorsqu|puisqu|jusqu)'", re.IGNORECASE)
_NEXT_WORD = re.compile(r" +[\w\"«']")
_PERIOD = re.compile(r"(?<!\.)\.(?!\.)")
_CREDIT_LINKS = ("via", "/", "&", "et", "and", "de", "pour", "-", "|")
_CREDIT_MAX_WORDS = 6
_CREDIT_MAX_CHARS = 200


def article_words(texts: Iterable[str]) -> ArticleWords:
    """The vocabulary of an article's lines."""
    lower: set[str] = set()
    proper: set[str] = set()
    for text in texts:
        lower.update(_lower_words(text))
        proper.update(_capitalised_inside(text))
    return ArticleWords(frozenset(lower), frozenset(proper))


@lru_cache(maxsize=_REMEMBERED_LINES)
def _lower_words(text: str) -> frozenset[str]:
    return frozenset(fold(w) for w in _WORD.findall(text) if w[0].islower())


def _word_key(word: str) -> str:
    """ "L'ex-président" -> "l'", "Selon" -> "selon": how a word is looked up in the lists."""
    elided = _ELIDED.match(word)
    return fold(elided.group() if elided else word)


def _bare_key(word: str) -> str:
    """ "d'Ivoire" -> "ivoire", "l'" -> "l'": a word looked up without its elided article."""
    elided = _ELIDED.match(word)
    return fold(word[elided.end() :] if elided and elided.end() < len(word) else word)


def _last_visible(text: str, start: int, position: int) -> int:
    """Index of the last non-space character in text[start:position], or -1."""
    i = position - 1
    while i >= start and text[i].isspace():
        i -= 1
    return i if i >= start else -1


def _word_ending_at(text: str, j: int, start: int) -> str:
    """The word (letters, digits, apostrophes, hyphens) whose last character is text[j]."""
    i = j
    while i >= start and (text[i].isalnum() or text[i] in "'-_"):
        i -= 1
    return text[i + 1 : j + 1]


def full_stop(text: str, start: int, end: int, rules: InlineRules) -> int:
    """Index just after the first full stop ending a sentence in text[start:end], or -1.

    A full stop after an abbreviation ("M.", "Dr.") or an initial ("J.") ends
    nothing; one glued to the next sentence ("prochain.Le match") does. An
    ellipsis is not a full stop (headlines end with one).
    """
    for m in _PERIOD.finditer(text, start, end):
        i = m.start()
        before = _word_ending_at(text, i - 1, start)
        if before and (fold(before) in rules.abbreviations or (len(before) == 1 and before.isupper())):
            continue
        after = text[i + 1 : i + 2]
        if after == "" or after.isspace() or after in _CLOSERS:
            return i + 1
        if after.isupper() and len(before) > 1 and before[-1].islower():
            return i + 1
    return -1


def run_on_starts(
    text: str, start: int, end: int, words: ArticleWords, rules: InlineRules
) -> Iterator[tuple[int, bool]]:
    """Where, in text[start:end], a sentence or headline starts without a full stop before it.

    Headlines pasted one after the other lose their line breaks: "... depuis
    un an Plainte contre ... au Tchad "Pour un pays ...". A capitalised word
    starts one when it follows a word that is not a name particle ("au", "de",
    "et"), and it is a sentence starter ("Le", "Selon", "Pour") or a word the
    article also writes in lower case and never with a capital inside a
    sentence; a starter that also opens names ("Le", "La", "De") does not when
    the next word is capitalised too ("le journal Le Monde", "Marine Le Pen").
    A quotation opens one after a capitalised word ("au Tchad "Pour ...") but
    not after a common noun ("la fonction "Personnes ..."). After a question
    mark, an exclamation mark or an ellipsis, a capital starts one too.

    Yields:
        (position, punctuated): where it starts, and whether a question mark,
        an exclamation mark or an ellipsis ends what comes before.
    """
    for m in _CAPITALISED_WORD.finditer(text, start, end):
        word = m.group()
        # acronyms and lone capitals ("IEEE SA", "Serie A") start nothing
        if word.isupper() and word != "À":
            continue
        position = m.start()
        j = _last_visible(text, start, position)
        if j < 0:
            continue
        quoted = text[j] in _OPENING_QUOTES and (j == position - 1 or text[j] == "«")
        if quoted:
            k = _last_visible(text, start, j)
            if k < 0 or k == j - 1:  # nothing before the quotation, or a word glued to it
                continue
            position, j = j, k
        before = text[j]
        closed = j
        while closed > start and text[closed] in _CLOSERS:  # '... quelque chose !" Mais'
            closed -= 1
        if text[closed] in "?!…" or text[closed - 2 : closed + 1] == "...":
            yield position, True
            continue
        if not (before.isalnum() or before in _CLOSERS):
            continue
        if before.isalnum():
            previous = _word_ending_at(text, j, start)
            common_noun = not (previous[:1].isupper() or previous[:1].isdigit())
            if _bare_key(previous) in rules.particles or (quoted and common_noun):
                continue
        if _starts_sentence(text, m, words, rules):
            yield position, False


def _starts_sentence(text: str, m: re.Match[str], words: ArticleWords, rules: InlineRules) -> bool:
    word = m.group()
    if not _NEXT_WORD.match(text, m.end()) and not (_ELIDED.match(word) and len(word) > 2):
        return False  # "Jack Ma." "Big Six"": a sentence goes on after its first word
    key = _word_key(word)
    if key in rules.starters:
        if key in rules.openers:
            elided = _ELIDED.match(word)
            if elided and elided.end() < len(word):
                return not word[elided.end()].isupper()
            following = _NEXT_WORD.match(text, m.end())  # matched above
            return not text[following.end() - 1].isupper()
        return True
    bare = _strip_elision(word)
    return bare not in words.proper and fold(bare) in words.lower


def headlines_end(text: str, start: int, end: int, words: ArticleWords, rules: InlineRules) -> int:
    """Where the headlines of other articles that follow a widget label end.

    text[start:end] follows the label. It is cut where headlines run on
    (`run_on_starts`); the pieces before the first sentence with a full stop
    are headlines, as long as each has the words of a headline. Returns
    `start` when the label is followed by the article itself.
    """
    stop = full_stop(text, start, end, rules)
    tail = stop if stop >= 0 else end
    cuts = [start]
    for position, _ in run_on_starts(text, start, tail, words, rules):
        if _word_count(text[cuts[-1] : position]) >= _HEADLINE_WORDS[0]:
            cuts.append(position)
    cuts.append(tail)
    last = start
    for a, b in zip(cuts, cuts[1:]):
        if (b == tail and stop >= 0) or not _headline_like(text[a:b], labelled=True):
            break
        last = b
    return last


def unlabelled_headlines(text: str, words: ArticleWords, rules: InlineRules) -> Iterator[tuple[int, int]]:
    """Headlines of other articles between two sentences, their label lost.

    A run of at least two short headlines, at least one of which runs on into
    the next without punctuation, before the next sentence ("... d'opposition.
    Ouattara candidat à un troisième mandat Qui sont ceux qui veulent diriger
    le pays ? Des incidents ont éclaté..."). A single one is kept: it is more
    likely a subheading of the article flattened into the paragraph, and so
    are questions that follow each other.
    """
    position = 0
    while position < len(text):
        stop = full_stop(text, position, len(text), rules)
        stop = stop if stop >= 0 else len(text)
        cuts, run_on = [position], False
        for start, punctuated in run_on_starts(text, position, stop, words, rules):
            if _word_count(text[cuts[-1] : start]) >= _HEADLINE_WORDS[0]:
                cuts.append(start)
                run_on = run_on or not punctuated
        if run_on and len(cuts) >= 3 and all(_headline_like(text[a:b], labelled=False) for a, b in zip(cuts, cuts[1:])):
            yield cuts[0], cuts[-1]
        position = stop


def _headline_like(text: str, *, labelled: bool) -> bool:
    """A headline in French: a short sentence in sentence case, so with words
    in lower case (not a listing of names, "Groupe A : Qatar, Equateur,
    Sénégal", nor the capitals of an OCR'd page). Without a widget label
    before it, it must also be short, mostly in lower case and without a
    semicolon to be told from the article's sentences."""
    found = [_strip_elision(w) for w in _WORD.findall(text)]
    if labelled:
        return any(w[:1].islower() for w in found) and len(found) <= _HEADLINE_WORDS[1]
    found = [w for w in found if len(w) > 1]  # not the "e" of "9e"
    lower = sum(w[0].islower() for w in found)
    return _HEADLINE_WORDS[0] <= len(found) <= _UNLABELLED_WORDS and lower >= 0.4 * len(found) and ";" not in text


def _word_count(text: str) -> int:
    return len(_WORD.findall(text))


def inline_furniture(
    text: str, words: ArticleWords, rules: InlineRules, *, paragraph: bool = True
) -> list[tuple[int, int]]:
    """(start, end) of the furniture inside one line, in order, not overlapping.

    Widget labels (« Lire aussi : », « Regarder : ») with the headlines after
    them; photo credits with the names they credit; caption labels; and, in
    a paragraph, headlines whose label is lost (`unlabelled_headlines`).
    """
    found: list[tuple[int, int]] = []
    if rules.markers is not None:
        labels = [m for m in rules.markers.finditer(text) if _is_label(text, m, anywhere=m.group().endswith(":"))]
        for i, m in enumerate(labels):
            limit = labels[i + 1].start() if i + 1 < len(labels) else len(text)
            found.append((m.start(), headlines_end(text, m.end(), limit, words, rules)))
    if paragraph:
        found += unlabelled_headlines(_blanked(text, found), words, rules)
    if rules.credits is not None:
        found += [_credit(text, m, rules) for m in rules.credits.finditer(text) if _is_label(text, m)]
    if rules.captions is not None:
        found += [(m.start(), m.end()) for m in rules.captions.finditer(text) if _is_label(text, m)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _is_label(text: str, m: re.Match[str], anywhere: bool = False) -> bool:
    """A widget label: capitalised, not glued to the next word ("Lire aussi",
    not "Lire aussitôt"), where a sentence or a parenthesis starts (or
    anywhere, for a label ending with a colon)."""
    if not (m.group()[:1].isupper() or m.group()[:1] == "©") or text[m.end() : m.end() + 1].isalnum():
        return False
    before = _char_before(text, m.start())
    return anywhere or before in ("", ".", "!", "?", "…", ":", "(", "«") or before in _CLOSERS


def _credit(text: str, m: re.Match[str], rules: InlineRules) -> tuple[int, int]:
    """A credit label and the names it credits: "(Crédit : Jean Dupont)" to
    the closing parenthesis, "Crédit photo, AFP via Getty Images" to the
    first word that is in lower case, a sentence starter or another label."""
    start, end = m.start(), m.end()
    if _char_before(text, start) == "(":
        closing = text.find(")", end)
        if 0 <= closing - end <= 80:
            return text.rindex("(", 0, start), closing + 1
    for count, token in enumerate(re.finditer(r"[^\s,;]+[,;]?", text[end : end + _CREDIT_MAX_CHARS])):
        word = token.group().rstrip(",;")
        link = word.lower() in _CREDIT_LINKS
        name = word[:1].isupper() or word[:1].isdigit()
        if count >= _CREDIT_MAX_WORDS or not (link or name):
            break
        if name and _word_key(word) in rules.starters or _starts_label(text, m.end() + token.start(), rules):
            break
        if not link:
            end = m.end() + token.end()
        if token.group()[-1] in ",;." or word.endswith("."):
            break
    return start, end


def _starts_label(text: str, position: int, rules: InlineRules) -> bool:
    return any(p is not None and p.match(text, position) for p in (rules.markers, rules.credits, rules.captions))


def _label_regions(text: str, rules: InlineRules) -> list[tuple[int, int]]:
    """Each widget label of a line with what follows it up to the first full
    stop: the text where headlines of other articles may be."""
    if rules.markers is None:
        return []
    regions = []
    for m in rules.markers.finditer(text):
        if _is_label(text, m, anywhere=m.group().endswith(":")):
            stop = full_stop(text, m.end(), len(text), rules)
            regions.append((m.start(), stop if stop >= 0 else len(text)))
    return regions


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


@dataclass
class _Line:
    """A line of the text while the rules decide on it."""

    start: int  # raw offsets of its visible part
    end: int
    text: str  # the visible text: characters normalised, markup blanked
    raw: str  # the raw line, markup included
    heading: bool = False  # a Markdown "#" heading or a front-matter title
    kind: str = "paragraph"
    keep: bool = True


def clean(article: Article, rules: BoilerplateRules, *, max_block_chars: int = 20_000) -> CleanArticle:
    """Split one article into content blocks, furniture removed."""
    raw = article.raw_text.replace("\r", "\n") if "\r" in article.raw_text else article.raw_text
    # normalize_chars and hide_markup map one character to one, so a slice
    # of the visible text is the visible line.
    normalized = normalize_chars(raw)
    visible = hide_markup(normalized, looks_like_markdown(normalized, article.source))
    lines = _lines(raw, visible, rules, max_block_chars)
    for line in lines:
        line.keep = not is_furniture_line(line.text, rules)
    _drop_breadcrumbs(lines, rules)
    for line in lines:
        # the shape of a line is that of its content: "Il a tout nié. Regarder :" is a paragraph
        labels = inline_furniture(line.text, ArticleWords(), rules.inline, paragraph=False)
        content = _blanked(line.text, labels).strip()
        line.kind = "heading" if line.heading else block_kind(content or line.text)
    _drop_repeated_captions(lines)
    _drop_link_lists(raw, lines, rules)
    _drop_trailing_furniture(lines)

    breaks = [(m.start(), m.end()) for m in _ESCAPED_BREAK.finditer(normalized)] if "\\" in normalized else []
    pieces = _pieces([line for line in lines if line.keep], breaks, rules)
    proper = _proper_words(text for text, kind, _ in pieces if kind != "heading")
    blocks = []
    for text, kind, start in pieces:
        if kind == "heading" and not _BYLINE.fullmatch(text):  # "Par Will Vernon": names, not Title Case
            text = decapitalize_title_case(text, proper)
        blocks.append(Block(kind=kind, text=text, raw_start=start, raw_end=start + len(text)))
    return CleanArticle(article=article, blocks=tuple(blocks))


def clean_all(
    articles: Iterable[Article], rules: BoilerplateRules, *, max_block_chars: int = 20_000
) -> Iterator[CleanArticle]:
    for article in articles:
        yield clean(article, rules, max_block_chars=max_block_chars)


def _lines(raw: str, visible: str, rules: BoilerplateRules, max_chars: int) -> list[_Line]:
    """The text's lines that have a visible part, narrowed to it. A front
    matter is dropped but for the content values the body does not repeat."""
    spans = split_lines(raw, max_chars)
    raw_lines = [raw[start:end] for start, end in spans]
    # the front matter is read with each line's indentation
    indented = [raw[raw.rfind("\n", 0, start) + 1 : end] for start, end in spans[:_FRONT_MATTER_MAX_LINES]]
    taken, values = front_matter(indented, rules.content_keys)
    body = [visible[start:end] for start, end in spans[taken:]]
    lines = []
    for i, (start, end) in enumerate(spans):
        heading = raw_lines[i].startswith("#") and bool(_ATX_HEADING.match(raw_lines[i]))
        if i < taken:
            if i not in values or _repeated_in(visible[start + values[i][0] : start + values[i][1]], body):
                continue
            indent = len(indented[i]) - len(raw_lines[i])
            start, end = start + values[i][0] - indent, start + values[i][1] - indent
            heading = values[i][2] in ("title", "subtitle")
        start, end = _trimmed(visible, start, end)
        if start < end:
            lines.append(_Line(start, end, visible[start:end], raw_lines[i], heading=heading))
    return lines


def _trimmed(visible: str, start: int, end: int) -> tuple[int, int]:
    """(start, end) narrowed to the first and last character that is not blank."""
    while start < end and visible[start].isspace():
        start += 1
    while end > start and visible[end - 1].isspace():
        end -= 1
    return start, end


def _pieces(lines: list[_Line], breaks: list[tuple[int, int]], rules: BoilerplateRules) -> list[tuple[str, str, int]]:
    """(text, kind, raw start) of every block: the kept lines without their
    inline furniture, cut where a written-out line break stands."""
    inline = rules.inline
    # The vocabulary leaves out the text after widget labels, so that the
    # capitals of other articles' headlines do not pass for names.
    words = article_words(_blanked(line.text, _label_regions(line.text, inline)) for line in lines)
    pieces = []
    for line in lines:
        cuts = inline_furniture(line.text, words, inline, paragraph=line.kind == "paragraph")
        cuts += [(s - line.start, e - line.start) for s, e in breaks if s < line.end and e > line.start]
        for start, end in _complement(sorted(cuts), len(line.text)):
            start, end = _trimmed(line.text, start, end)
            if start < end:
                text = line.text[start:end]
                whole = (start, end) == (0, len(line.text))
                kind = "heading" if line.heading else line.kind if whole else block_kind(text)
                pieces.append((text, kind, line.start + start))
    return pieces


def _blanked(text: str, ranges: list[tuple[int, int]]) -> str:
    for start, end in ranges:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _complement(ranges: list[tuple[int, int]], length: int) -> Iterator[tuple[int, int]]:
    """The parts of range(length) outside the sorted `ranges`."""
    position = 0
    for start, end in ranges:
        if start > position:
            yield position, min(start, length)
        position = max(position, end)
    if position < length:
        yield position, length


def _drop_breadcrumbs(lines: list[_Line], rules: BoilerplateRules) -> None:
    # Only the top of the page carries breadcrumbs.
    for line in lines[:4]:
        if is_breadcrumb(line.text, rules):
            line.keep = False


def _drop_repeated_captions(lines: list[_Line]) -> None:
    # Alt text and caption of an illustration, both repeating the heading that
    # follows them: at most two lines before a heading.
    for i, line in enumerate(lines):
        if line.kind != "heading" or not line.keep:
            continue
        for j in (i - 1, i - 2):
            if j >= 0 and lines[j].keep and lines[j].kind != "list_item" and repeats_heading(lines[j].text, line.text):
                lines[j].keep = False
            else:
                break


_LINK_LINE = re.compile(
    r"(?:[•·▪◦●■\-–—*+]\s+|\d+[.)]\s+)?"
    r"(?:(?:!?\[[^\]\n]*\]\([^)\n]*\)|<a\b[^>]*>.*?</a>|(?:https?://|www\.)\S+)[\s,;|•·–-]*)+",
    re.IGNORECASE,
)
# Headline-shaped lines under a label with no blank line between: at most this many.
_LISTED_HEADLINES = 6


def _drop_link_lists(raw: str, lines: list[_Line], rules: BoilerplateRules) -> None:
    """A line that is all widget (« Voir aussi : », « Lire aussi : <headline> »)
    and the links under it: lines made of links. Under a line that is only a
    label (« LIRE AUSSI », « À lire également »), the headline-shaped lines
    right under it (no blank line between) too."""
    inline = rules.inline
    for i, line in enumerate(lines):
        if not line.keep or inline_furniture(line.text, ArticleWords(), inline, paragraph=False) != [
            (0, len(line.text))
        ]:
            continue
        line.keep = False
        label_only = inline.markers is not None and inline.markers.fullmatch(line.text) is not None
        gap, listed = False, 0
        for previous, below in zip(lines[i:], lines[i + 1 :]):
            gap = gap or re.search(r"\n[ \t]*\n", raw[previous.end : below.start]) is not None
            if _LINK_LINE.fullmatch(below.raw):
                below.keep = False
            elif (
                label_only
                and not gap
                and not below.heading
                and below.kind != "paragraph"
                and listed < _LISTED_HEADLINES
            ):
                below.keep, listed = False, listed + 1
            else:
                break


def _drop_trailing_furniture(lines: list[_Line]) -> None:
    """Short lines after the last paragraph: widget titles, link lists.

    An article with no paragraph at all (a headline-only item, one line
    without final punctuation) keeps its lines: they are its content.
    """
    dropped = []
    for line in reversed(lines):
        if not line.keep:
            continue
        if line.kind == "paragraph" or _SENTENCE_END.search(line.text):
            for kept in dropped:
                kept.keep = False
            return
        dropped.append(line)


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
