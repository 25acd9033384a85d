"""Link stage: NER spans + knowledge base -> mentions of canonical entities.

Per article (`link_article`):
1. knowledge-base names are found in the tokens (longest match first);
2. the model's spans lose what is not the name (titles: "M. Zuma" -> Zuma;
   descriptors: "région de Koursk"; a capital that only opens a sentence:
   "Analyse"), and words that are not names go ("États africains", "le PIB",
   "ministre de l'Intérieur");
3. they are merged with the knowledge base's: the knowledge base fixes labels
   (STATE, Kremlin ORG) and splits compounds ("Poutine-Kim"), a facility name
   ("place Kim Il-sung") or a longer organisation name keeps the model's span;
   a body named by a lowercase noun and its complement is one organisation
   ("ministère ivoirien de l'Intérieur"), and an acronym is one entity with
   the name it is defined by ("Union africaine (UA)" ... "l'UA");
4. names outside the knowledge base get their label from the article (a
   title, an institution word, a descriptor: "le groupe armé Codeco"), one
   per name; partial person names link to a full name of the same article
   ("Poutine", "Kim" -> the Kim of the article; "Zuma" after "Jacob Zuma");
5. demonyms ("nord-coréenne") and role phrases ("le président russe") become
   mentions of their state or holder;
6. capitals and seats used for their state get `refers_to`.
Across the corpus (`link_corpus`), names outside the knowledge base get
stable ids and their variants merge ("Stoltenberg" -> "Jens Stoltenberg",
"FPI" -> the "Front populaire ivoirien" another article defined it as).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from pipeline.kb import KnowledgeBase
from pipeline.records import AnnotatedArticle, CleanArticle, Entity, Mention, Token
from pipeline.text import fold, name_key

_DETERMINERS = {"le", "la", "les", "l'", "l’"}
_ARTICLES = _DETERMINERS | {"du", "des", "au", "aux"}
_OF = {"de", "du", "des", "d'", "d’"}
# determiners that count things: an acronym after one is a common noun ("une ONG")
_COUNTING = set(
    "un une plusieurs chaque aucun aucune quelques certains certaines nombreux nombreuses cette ces cet".split()
)
# tokens after which a capital is the start of a sentence or a quotation, not a name's
_OPENERS = {".", "!", "?", ":", "«", '"', "“", "(", "-", "–", "—", "…"}
# dependencies that keep a word inside its head's name: "ministère [ukrainien] [de la défense]"
_COMPLEMENT_DEPS = {"amod", "nmod", "case", "det", "fixed", "flat", "flat:name", "flat:foreign", "compound"}
_COMPLEMENT_CASES = _OF | {"a", "au", "aux", "en"}  # folded: "à" is "a"
# prepositions before a place where something happens ("à Nairobi", "dans Kiev"), folded
_PLACE_CASES = {"a", "au", "aux", "en", "dans", "vers", "depuis"}
# words left out of an acronym's letters: "Mouvement pour la renaissance du Sahel (MRS)"
_UNLETTERED = _ARTICLES | _OF | {"et", "pour", "en", "a", "sur", "of", "the", "and", "for", "s", "'s", "’s"}
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_NIL = "nil:"
_YEARS = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
# between a role phrase and a name it stands in apposition to: ", le roi ", ", la ministre "
_TITLED_NAME_GAP = re.compile(r"\s*,\s*(?:l['’]|(?:le|la|les)\s+)(?:[^\W\d_A-Z][\w'’-]*\s+){1,3}")


@dataclass(frozen=True)
class LinkRules:
    """Word lists of models/link_rules.toml, folded for matching."""

    stop_names: frozenset[str]
    facility_words: frozenset[str]
    demonym_prefixes: Mapping[str, str]
    place_heads: frozenset[str]
    # "pro-russe", "anti-américains": prefixes outside the demonym they stand before
    demonym_affixes: frozenset[str] = frozenset()
    # word(s) beside a role noun -> "former" or "current" ("ancien", "actuel", "en exercice")
    role_tense: Mapping[str, str] = field(default_factory=dict)
    # determiners before a role noun used alone ("le président", "leur président")
    role_determiners: frozenset[str] = frozenset()
    # words before a role noun that make it the office in general ("le premier président")
    role_other: frozenset[str] = frozenset()
    # titles and honorifics before a person's name ("M.", "Dr", "Mgr"), as written
    titles: frozenset[str] = frozenset()
    # capitalised nouns heading a description, not a name ("État partie")
    generic_heads: frozenset[str] = frozenset()
    # words making a part of a known place ("Asie centrale", "Europe de l'Ouest")
    region_words: frozenset[str] = frozenset()
    # label -> nouns before a name that make it one of that kind ("l'avocat X": PER)
    descriptors: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # first or last words of organisation names ("Front", "Cour", "Party")
    institution_heads: frozenset[str] = frozenset()
    # lowercase nouns that name a body with their complement ("ministère", "ambassade")
    institution_nouns: frozenset[str] = frozenset()
    # name_key -> how it is written: bodies every state has ("Assemblée nationale", "ministère")
    national_bodies: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping) -> LinkRules:
        roles, institutions = data.get("roles", {}), data.get("institutions", {})
        return cls(
            stop_names=frozenset(name_key(w) for w in data.get("stop_names", [])),
            facility_words=frozenset(fold(w) for w in data.get("facility_words", [])),
            demonym_prefixes={fold(k): v for k, v in data.get("demonym_prefixes", {}).items()},
            place_heads=frozenset(fold(w) for w in data.get("metonymy", {}).get("place_heads", [])),
            demonym_affixes=frozenset(fold(w) for w in data.get("demonym_affixes", [])),
            role_tense={fold(w): tense for tense in ("former", "current") for w in roles.get(tense, [])},
            role_determiners=frozenset(fold(w) for w in roles.get("determiners", [])),
            role_other=frozenset(fold(w) for w in roles.get("other", [])),
            titles=frozenset(data.get("titles", [])),
            generic_heads=frozenset(fold(w) for w in data.get("generic_heads", [])),
            region_words=frozenset(fold(w) for w in data.get("region_words", [])),
            descriptors={
                label: frozenset(fold(w) for w in words) for label, words in data.get("descriptors", {}).items()
            },
            institution_heads=frozenset(fold(w) for w in institutions.get("heads", [])),
            institution_nouns=frozenset(fold(w) for w in institutions.get("lowercase_heads", [])),
            national_bodies={name_key(w): w for w in institutions.get("national", [])},
        )


@dataclass
class _Span:
    """A candidate name mention, in token indices (end exclusive)."""

    start: int
    end: int
    label: str
    entity_id: str
    method: str
    always: bool = True  # a KB name that may stand without the model's span
    evidence: str = ""  # a label the article gives the name itself ("M. X": PER), over the model's


# ------------------------------------------------------------------ article


def link_article(
    clean: CleanArticle, ann: AnnotatedArticle, kb: KnowledgeBase, rules: LinkRules, *, today: str
) -> list[Mention]:
    """Mentions of one article; names outside the KB get provisional `nil:` ids.

    Args:
        today: ISO date of the run, the latest date an article can have: an
            undated article's roles are resolved to a holder only when one
            held the role throughout from the last year the article mentions
            to `today` (see `_roles`), never to today's holder as such.
    """
    raw, toks = clean.article.raw_text, ann.tokens
    keys = {text: name_key(text) for text in {t.text for t in toks}}  # words repeat: one key per distinct one
    casing = _Casing.of(ann)
    spans = _merge(_model_spans(ann, raw, kb, rules, casing), _kb_spans(ann, raw, kb, keys), toks, rules)
    spans = _institution_spans(spans, toks, raw, rules)
    spans = _titled_names(spans, toks, raw, rules)
    spans = _acronyms(spans, toks, raw)
    _label_names(spans, toks, raw, kb, rules)
    _complete_persons(spans, toks, raw, kb, casing)
    _person_variants(spans, toks, raw, kb)
    spans = _repeated_persons(spans, toks, casing)
    _corefer_persons(spans, toks, raw)

    mentions = [
        Mention(
            doc_id=ann.doc_id,
            sentence_id=toks[s.start].sentence_id,
            start=toks[s.start].start,
            end=toks[s.end - 1].end,
            text=raw[toks[s.start].start : toks[s.end - 1].end],
            label=s.label,
            entity_id=s.entity_id,
            kind="name",
            method=s.method,
            refers_to=_refers_to(s, toks, kb, rules),
        )
        for s in spans
    ]
    mentions += _demonyms(clean, ann, kb, rules, mentions)
    mentions = _national_bodies(mentions, kb, rules)
    mentions += _roles(clean, ann, kb, rules, mentions, keys, date=clean.article.date, today=today)
    return sorted(mentions, key=lambda m: (m.start, m.end, m.kind))


def _model_spans(ann: AnnotatedArticle, raw: str, kb: KnowledgeBase, rules: LinkRules, casing: _Casing) -> list[_Span]:
    """The model's spans, trimmed, without the ones that are not names."""
    spans, toks = [], ann.tokens
    for ent in ann.entities:
        start, end = ent.token_start, ent.token_end
        if start > 0 and fold(toks[start - 1].text) in _DETERMINERS and not _loose_determiner(toks, start - 1, ann):
            start -= 1  # "le journal Le Monde": the capital makes it part of the name
        while start < end and (_loose_determiner(toks, start, ann) or not toks[start].text[:1].isalnum()):
            start += 1
        while end > start and (not toks[end - 1].text[-1:].isalnum() or _function_word(toks[end - 1])):
            end -= 1
        person = False
        while start < end and toks[start].text in rules.titles:
            start, person = _after_title(toks, start), True  # "M. Zuma", "Dr Mensah": the title is no part of it
        if start == end:
            continue
        first = fold(toks[start].text)
        role = _role_prefix(toks, start, end, kb)
        if role or (toks[start].text[:1].islower() and first not in rules.facility_words):
            # "région de Koursk", "Premier ministre italien": the descriptor is not part of the name
            start += role
            while start < end and not toks[start].text[:1].isupper():
                start += 1
            if start == end or (role and fold(toks[start - 1].text) in _OF | _DETERMINERS):
                continue  # "ministre russe des Affaires étrangères": a role, not a name
            person = person or bool(role)  # "président Bola Tinubu"
        if fold(toks[start].text) in rules.generic_heads and start + 1 < end and toks[start + 1].text[:1].islower():
            start += 1  # "État nigérian de Kano", "États africains": a description
            while start < end and not toks[start].text[:1].isupper():
                start += 1
        start = _name_start(toks, start, end, ann, casing, kb, rules)
        if start == end:
            continue
        text = raw[toks[start].start : toks[end - 1].end]
        if not any(c.isupper() for c in text) or name_key(text) in rules.stop_names or len(text) < 2:
            continue  # "le symbole Z", "le plan B": a letter is no name
        if _demonym_state(text, kb, rules):
            continue  # "Américains", "Nord-Coréen": demonyms, found below
        if _common_noun(toks, start, end, kb, rules, casing):
            continue
        for a, b, label in _split_at_institution(toks, start, end, ent.label, rules):
            name = raw[toks[a].start : toks[b - 1].end]
            evidence = "PER" if person and label == "PER" else ""
            spans.append(_Span(a, b, label, _NIL + name_key(name), "model", evidence=evidence))
    return spans


def _loose_determiner(toks: tuple[Token, ...], i: int, ann: AnnotatedArticle) -> bool:
    """A determiner before a name, not in it: lowercase, or opening a sentence or
    a block ("l'Occident", "Le Kremlin"; but "le journal Le Monde")."""
    if fold(toks[i].text) not in _DETERMINERS:
        return False
    if toks[i].text[:1].islower() or i == 0 or not toks[i - 1].text[-1:].isalnum():
        return True
    return ann.sentences[toks[i].sentence_id].block_id != ann.sentences[toks[i - 1].sentence_id].block_id


def _function_word(tok: Token) -> bool:
    """A lowercase article or preposition, which cannot end a name ("Sahel au")."""
    return tok.text[:1].islower() and fold(tok.text) in _ARTICLES | _OF | {"et", "a", "en"}


def _role_prefix(toks: tuple[Token, ...], start: int, end: int, kb: KnowledgeBase) -> int:
    """How many tokens of a role word open tokens start..end-1 ("Premier ministre", "président"), or 0."""
    for n in range(min(6, end - start), 0, -1):
        if name_key(_join(toks[start : start + n])) in kb.role_words:
            return n
    return 0


def _after_title(toks: tuple[Token, ...], i: int) -> int:
    """The token after the title at i, and after its full stop ("Mr." written "Mr" ".")."""
    if i + 1 < len(toks) and toks[i + 1].text == "." and toks[i].end == toks[i + 1].start:
        return i + 2
    return i + 1


@dataclass(frozen=True)
class _Casing:
    """How an article writes its words, to tell a name's capital from a sentence's."""

    named: frozenset[str]  # capitalised inside a sentence, where only names are
    named_pairs: frozenset[tuple[str, str]]  # such a word and the word after it ("Front", "populaire")
    lower: frozenset[str]  # written in lowercase somewhere
    counted: frozenset[str]  # after a counting determiner ("une ONG"): common nouns

    @classmethod
    def of(cls, ann: AnnotatedArticle) -> _Casing:
        named, pairs, lower, counted = set(), set(), set(), set()
        toks = ann.tokens
        for sent in ann.sentences:
            words = toks[sent.token_start : sent.token_end]
            long = [t.text for t in words if len(t.text) > 3 and t.text.isalpha()]
            # "Impacts sur la Scène Internationale": a title in Title Case says nothing of names
            title_case = len(long) > 2 and sum(w[0].islower() for w in long) <= 1
            started, prev = False, ""
            for i, t in enumerate(words):
                word = fold(t.text)
                if t.text[:1].islower():
                    lower.add(word)
                elif t.text[:1].isupper() and started and not title_case and prev not in _OPENERS:
                    named.add(word)
                    if i + 1 < len(words):
                        pairs.add((word, fold(words[i + 1].text)))
                if prev in _COUNTING:
                    counted.add(word)
                started = started or (t.text[:1].isalnum() and word not in _DETERMINERS)
                prev = word
        return cls(frozenset(named), frozenset(pairs), frozenset(lower), frozenset(counted))


def _name_start(
    toks: tuple[Token, ...],
    start: int,
    end: int,
    ann: AnnotatedArticle,
    casing: _Casing,
    kb: KnowledgeBase,
    rules: LinkRules,
) -> int:
    """Where a name starts once a capital that only opens a sentence or heading is
    left out ("Analyse", "Conflit Éthiopie - Érythrée" -> "Éthiopie"): `end` if none is left.

    The first word of a sentence is no name's in a heading in capitals. It is
    a name's if it is an acronym the article does not also write in lowercase,
    if the article writes it capitalised inside sentences too (with the same
    next word, when the name has more), or, unless the article also writes it
    in lowercase, if the parser takes it for a proper noun or it follows a
    determiner in a sentence with a verb ("La Bundeswehr manque de
    munitions"). An ordinary first word is left out
    of a longer name only before a lowercase word or a known name ("Crise au
    Sahel", "Guerre Soudan"), not before another capitalised word ("Amnesty
    International") or when it heads an institution ("Banque Atlantique").
    """
    if not toks[start].pos or fold(toks[start].text) in _DETERMINERS:
        return start  # no parse to judge by; "le journal Le Monde" (see `_loose_determiner`)
    sent = ann.sentences[toks[start].sentence_id]
    before = [t for t in toks[sent.token_start : start] if t.text[:1].isalnum()]
    if any(fold(t.text) not in _DETERMINERS for t in before):
        return start  # inside the sentence
    word, key = toks[start], fold(toks[start].text)
    if _shouted(toks, start):
        return end  # "LA GRÈVE CONTINUE": a heading in capitals says nothing of names
    if _is_acronym(word.text) and len(word.text) <= 6 and key not in casing.lower:
        return start
    if (key, fold(toks[start + 1].text)) in casing.named_pairs if start + 1 < end else key in casing.named:
        return start  # "Front populaire ivoirien" written so inside a sentence too
    if key not in casing.lower:
        if word.pos in ("PROPN", "X") or key in casing.named:
            return start
        if before and any(t.pos in ("VERB", "AUX") for t in toks[sent.token_start : sent.token_end]):
            return start
    if start + 1 < end:
        nxt = toks[start + 1].text
        if key in rules.institution_heads or (nxt[:1].isupper() and name_key(nxt) not in kb.alias_words):
            return start
    start += 1
    while start < end and not toks[start].text[:1].isupper():
        start += 1  # "Guerre en Ukraine"
    return start


def _shouted(toks: tuple[Token, ...], i: int) -> bool:
    """Token i and a neighbour in the same sentence are words in capitals."""
    near = [toks[j] for j in (i - 1, i + 1) if 0 <= j < len(toks) and toks[j].sentence_id == toks[i].sentence_id]
    return _is_acronym(toks[i].text) and any(_is_acronym(t.text) and t.text.isalpha() for t in near)


def _is_acronym(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters) and len(text) <= 12


def _common_noun(
    toks: tuple[Token, ...], start: int, end: int, kb: KnowledgeBase, rules: LinkRules, casing: _Casing
) -> bool:
    """Capitalised words that are not a name: an acronym the article counts ("une
    ONG"), a portfolio in a job title ("ministre de l'Intérieur", "chef de la
    Transition guinéenne")."""
    if end - start == 1 and _is_acronym(toks[start].text):
        return fold(toks[start].text) in casing.counted
    if not toks[start].pos or any(t.pos in ("PROPN", "X") or _is_acronym(t.text) for t in toks[start:end]):
        return False
    if fold(toks[start].text) in rules.institution_heads or fold(toks[end - 1].text) in rules.institution_heads:
        return False
    i = start - 1
    while i >= 0 and fold(toks[i].text) in _DETERMINERS:
        i -= 1
    if i < 0 or fold(toks[i].text) not in _OF:
        return False
    i -= 1
    while i >= 0 and toks[i].pos == "ADJ" and toks[i].text.islower():
        i -= 1  # "ministre ivoirien de"
    return i >= 0 and _person_word(toks[i], kb, rules)


def _person_word(tok: Token, kb: KnowledgeBase, rules: LinkRules) -> bool:
    """A lowercase noun of a person: a role ("président") or a descriptor ("avocat")."""
    word = fold(tok.text)
    return tok.text[:1].islower() and (word in kb.role_words or word in rules.descriptors.get("PER", ()))


def _split_at_institution(
    toks: tuple[Token, ...], start: int, end: int, label: str, rules: LinkRules
) -> list[tuple[int, int, str]]:
    """A person span that runs into an institution ("Amadou Ba de la Cour
    suprême") is the person and the institution."""
    if label == "PER":
        for k in range(start + 1, end - 1):
            if fold(toks[k].text) in _OF:
                m = k + 1
                while m < end and fold(toks[m].text) in _DETERMINERS:
                    m += 1
                heads = {fold(toks[m].text), fold(toks[end - 1].text)} if m < end else set()
                if heads & rules.institution_heads and toks[m].text[:1].isupper():
                    return [(start, k, "PER"), (m, end, "ORG")]
    return [(start, end, label)]


def _kb_spans(ann: AnnotatedArticle, raw: str, kb: KnowledgeBase, keys: Mapping[str, str]) -> list[_Span]:
    """Longest knowledge-base names in each sentence, left to right.

    Args:
        keys: token text -> its `name_key`, for every token of the article.
    """
    spans, toks = [], ann.tokens
    # how many tokens a name starting with a word may have: hyphens and
    # apostrophes are tokens of their own, so two per word of its longest alias
    reach = {
        text: 2 * words
        for text, key in keys.items()
        if (words := kb.alias_words.get(key.partition(" ")[0])) and text[:1].isalpha()
    }
    starts = [i for i, t in enumerate(toks) if t.text in reach]
    # within a block, not a sentence: the parser can cut a name ("Kim Jong | Un a reçu")
    for block_start, block_end in _block_token_ranges(ann):
        end = block_start
        for i in starts[bisect_left(starts, block_start) : bisect_left(starts, block_end)]:
            if i < end:
                continue
            found = _kb_span_at(toks, i, min(block_end, i + reach[toks[i].text]), raw, kb)
            if found:
                spans.append(found)
                end = found.end
    return spans


def _kb_span_at(toks: tuple[Token, ...], i: int, stop: int, raw: str, kb: KnowledgeBase) -> _Span | None:
    """The longest knowledge-base name on tokens i..j-1 with j <= `stop`, if any.

    Surfaces grow token by token and the key of a longer surface starts with
    the key of a shorter one (folding goes character by character), so the
    scan stops at the first key that starts no alias.
    """
    found = None
    for j in range(i + 1, stop + 1):
        if not toks[j - 1].text[-1:].isalnum():
            continue
        surface = raw[toks[i].start : toks[j - 1].end]
        key = name_key(surface)
        if key not in kb.alias_prefixes:
            break
        alias = kb.aliases.get(key)
        if alias and _case_fits(surface, alias.surface):
            found = j, alias
    if found is None:
        return None
    j, alias = found
    return _Span(i, j, kb.entities[alias.entity_id].type, alias.entity_id, "kb", alias.always)


def _block_token_ranges(ann: AnnotatedArticle) -> list[tuple[int, int]]:
    ranges: dict[int, list[int]] = {}
    for sent in ann.sentences:
        r = ranges.setdefault(sent.block_id, [sent.token_start, sent.token_end])
        r[0], r[1] = min(r[0], sent.token_start), max(r[1], sent.token_end)
    return [(a, b) for a, b in ranges.values()]


def _case_fits(surface: str, alias: str) -> bool:
    """Acronyms match only in capitals (UE, not "ue"); names need a capital
    unless the alias itself starts lowercase ("place Kim Il-sung")."""
    letters = [c for c in alias if c.isalpha()]
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return all(c.isupper() for c in surface if c.isalpha())
    return surface[:1].isupper() or not alias[:1].isupper()


def _merge(model: list[_Span], kb: list[_Span], toks: tuple[Token, ...], rules: LinkRules) -> list[_Span]:
    """Combine model spans and knowledge-base spans into non-overlapping mentions."""
    out: list[_Span] = []
    used_kb: set[int] = set()
    kb_ends, model_ends = [k.end for k in kb], [m.end for m in model]
    for m in model:
        inside = _overlapping(kb, kb_ends, m.start, m.end)
        exact = [k for k in inside if (k.start, k.end) == (m.start, m.end)]
        if exact:
            continue  # the KB span, taken below, carries the link
        if not inside:
            out.append(m)
            continue
        parts = _compound_parts(m, toks)
        if len(parts) > 1 and any((k.start, k.end) in parts for k in inside):
            # "Poutine-Kim", "Moscou-Pékin-Pyongyang": one mention per name
            known = {(k.start, k.end) for k in inside}
            out += [
                _Span(a, b, m.label, _NIL + name_key(_join(toks[a:b])), "model")
                for a, b in parts
                if (a, b) not in known
            ]
            continue
        first_word = fold(toks[m.start].text)
        contains_all = all(m.start <= k.start and k.end <= m.end for k in inside)
        if first_word in rules.facility_words:
            # "place Kim Il-sung", "aéroport de Pyongyang": a place of its own
            m = _Span(
                min(m.start, *(k.start for k in inside)), max(m.end, *(k.end for k in inside)), m.label, "", "model"
            )
            m.entity_id = _NIL + name_key(_join(toks[m.start : m.end]))
            out.append(m)
            used_kb.update(id(k) for k in inside)
        elif contains_all and _is_longer_name(m, inside, toks):
            out.append(m)  # "Académie des sciences de Russie": the longest name wins
            used_kb.update(id(k) for k in inside)
        elif contains_all and _first_name_place(m, inside, toks):
            out.append(m)  # "Florence Parly", "Adama Barrow": a person, not the city
            used_kb.update(id(k) for k in inside)
        elif contains_all and m.label == "PER" and all(k.label == "PER" for k in inside):
            # "Par Esau Williams Yahya Jammeh": the KB person, and the full name glued to it
            out += [
                _Span(a, b, "PER", _NIL + name_key(_join(toks[a:b])), "model") for a, b in _other_names(m, inside, toks)
            ]
        # otherwise the KB spans win: compounds split, labels fixed
    for k in kb:
        if id(k) in used_kb:
            continue
        overlaps_model = bool(_overlapping(model, model_ends, k.start, k.end))
        if k.always or overlaps_model:
            out.append(k)
    out.sort(key=lambda s: (s.start, -s.end))
    result: list[_Span] = []
    for s in out:
        if result and s.start < result[-1].end:
            continue
        result.append(s)
    return result


def _other_names(m: _Span, inside: list[_Span], toks: tuple[Token, ...]) -> list[tuple[int, int]]:
    """Runs of two or more capitalised words of `m` outside the KB spans `inside`."""
    runs, start = [], None
    for i in range(m.start, m.end + 1):
        free = i < m.end and not any(k.start <= i < k.end for k in inside) and toks[i].text[:1].isupper()
        if free and start is None:
            start = i
        elif not free and start is not None:
            if i - start >= 2:
                runs.append((start, i))
            start = None
    return runs


def _first_name_place(m: _Span, inside: list[_Span], toks: tuple[Token, ...]) -> bool:
    """A model person span whose first word alone is a KB place, followed by
    capitalised words ("Florence Parly"): the place is the person's first name."""
    return (
        m.label == "PER"
        and m.end - m.start >= 2
        and len(inside) == 1
        and (inside[0].start, inside[0].end) == (m.start, m.start + 1)
        and inside[0].label == "LOC"
        and all(t.text[:1].isupper() for t in toks[m.start + 1 : m.end] if t.text[:1].isalpha())
    )


def _overlapping(spans: list[_Span], ends: list[int], start: int, end: int) -> list[_Span]:
    """Spans overlapping [start, end); `spans` are sorted and do not overlap
    each other (`ends` are their ends), so a binary search finds them."""
    i = bisect_right(ends, start)
    found = []
    while i < len(spans) and spans[i].start < end:
        found.append(spans[i])
        i += 1
    return found


def _compound_parts(m: _Span, toks: tuple[Token, ...]) -> list[tuple[int, int]]:
    """Token ranges of a span split at attached hyphens before a capital."""
    parts, start = [], m.start
    for i in range(m.start + 1, m.end - 1):
        t, prev, nxt = toks[i], toks[i - 1], toks[i + 1]
        if t.text in "-–" and prev.end == t.start and t.end == nxt.start and nxt.text[:1].isupper():
            parts.append((start, i))
            start = i + 1
    parts.append((start, m.end))
    return parts


def _join(toks: Iterable[Token]) -> str:
    """Text of consecutive tokens, spaces where the raw text has them."""
    out, prev_end = [], None
    for t in toks:
        if prev_end is not None and t.start > prev_end:
            out.append(" ")
        out.append(t.text)
        prev_end = t.end
    return "".join(out)


def _is_longer_name(m: _Span, inside: list[_Span], toks: tuple[Token, ...]) -> bool:
    """A model ORG/MISC span that adds a name of its own around KB names,
    joined by words (not a hyphenated or coordinated list of KB names)."""
    if m.label not in ("ORG", "MISC", "LOC"):
        return False
    rest = [
        t.text for i, t in enumerate(toks[m.start : m.end], m.start) if not any(k.start <= i < k.end for k in inside)
    ]
    words = [w for w in rest if any(c.isalpha() for c in w)]
    return bool(words) and any(w[0].isupper() for w in words) and not all(w in "-–" for w in rest)


def _institution_spans(spans: list[_Span], toks: tuple[Token, ...], raw: str, rules: LinkRules) -> list[_Span]:
    """A body named by a lowercase noun and its complement is one organisation,
    with the names inside it ("ministère ivoirien de l'Intérieur", "ambassade
    des États-Unis à Nairobi"); the parse says where the complement ends."""
    for h, t in enumerate(toks):
        if not (t.text[:1].islower() and fold(t.text) in rules.institution_nouns):
            continue
        if any(s.start <= h < s.end for s in spans):
            continue  # already inside a name ("Ministère" of a title, a model span)
        end = _complement_end(toks, h)
        if end is None or any(h < s.start < end < s.end for s in spans):
            continue
        name = raw[t.start : toks[end - 1].end]
        spans = [s for s in spans if not (h <= s.start and s.end <= end)]
        spans.append(_Span(h, end, "ORG", _NIL + name_key(name), "model", evidence="ORG"))
    return sorted(spans, key=lambda s: s.start)


def _complement_end(toks: tuple[Token, ...], h: int) -> int | None:
    """End of the tokens after `h` that depend on it through adjectives and
    "de/à" complements ("ukrainien de la défense"); None when it has no complement."""
    j, complement = h + 1, False
    while j < len(toks) and toks[j].sentence_id == toks[h].sentence_id:
        k, inside = j, False
        for _ in range(8):  # climb from j towards h
            tk = toks[k]
            if tk.dep not in _COMPLEMENT_DEPS or (tk.dep == "case" and fold(tk.text) not in _COMPLEMENT_CASES):
                break
            if tk.head == h:
                inside = True
                complement = complement or tk.dep == "nmod"
                break
            if not h < tk.head < len(toks) or tk.head == k:
                break
            k = tk.head
        if not inside:
            break
        j += 1
    return j if complement and toks[j - 1].text[-1:].isalnum() else None


def _titled_names(spans: list[_Span], toks: tuple[Token, ...], raw: str, rules: LinkRules) -> list[_Span]:
    """Names after a title that the model did not tag ("M. Sall", "Mgr Kpodzro"): persons."""
    covered = {i for s in spans for i in range(s.start, s.end)}
    added = []
    for i, t in enumerate(toks):
        if t.text not in rules.titles or i in covered:
            continue
        j = k = _after_title(toks, i)
        while (
            k < len(toks)
            and toks[k].sentence_id == t.sentence_id
            and toks[k].text[:1].isupper()
            and toks[k].text[-1:].isalnum()
            and k not in covered
        ):
            k += 1
        if k > j:
            name = raw[toks[j].start : toks[k - 1].end]
            added.append(_Span(j, k, "PER", _NIL + name_key(name), "model", evidence="PER"))
    return sorted(spans + added, key=lambda s: s.start) if added else spans


def _acronyms(spans: list[_Span], toks: tuple[Token, ...], raw: str) -> list[_Span]:
    """An acronym and the name it is defined by in the article are one entity
    ("Union africaine (UA)" ... "l'UA"; "CNSP (Conseil national pour la
    sauvegarde de la patrie)"): the name becomes one span, and every use of
    the acronym in the article, tagged by the model or not, takes its id and
    label."""
    definitions = _acronym_definitions(toks)
    at_token: dict[str, list[int]] = defaultdict(list)  # an acronym -> the tokens that are it
    if definitions:
        for i, t in enumerate(toks):
            at_token[t.text].append(i)
    for full_start, full_end, a in definitions:
        inside = [s for s in spans if s.start < full_end and full_start < s.end]
        if any(s.start < full_start or s.end > full_end for s in inside):
            continue  # the name would cut another one
        full = next((s for s in inside if (s.start, s.end) == (full_start, full_end)), None)
        if full is None:  # "Patriotic" + "Front (PF)": pieces of one name
            name = raw[toks[full_start].start : toks[full_end - 1].end]
            labels = Counter(s.label for s in inside if s.label not in ("PER", "STATE"))
            full = _Span(full_start, full_end, _top(labels) if labels else "ORG", _NIL + name_key(name), "model")
            spans = [s for s in spans if s not in inside] + [full]
        acronym = toks[a].text
        if not full.entity_id.startswith(_NIL) or not any(
            s.start == a and not s.entity_id.startswith(_NIL) for s in spans
        ):
            linked = full  # the name's id, unless only the acronym is in the KB
        else:
            linked = next(s for s in spans if s.start == a)
            full.entity_id, full.label, full.method = linked.entity_id, linked.label, "coref"
        spans.sort(key=lambda s: s.start)
        starts = [s.start for s in spans]
        for i in at_token.get(acronym, ()):
            k = bisect_right(starts, i) - 1
            at = [spans[k]] if k >= 0 and i < spans[k].end else []
            if not at:
                spans.append(_Span(i, i + 1, linked.label, linked.entity_id, "coref"))
            elif (at[0].start, at[0].end) == (i, i + 1) and at[0] is not linked:
                at[0].entity_id, at[0].label, at[0].method = linked.entity_id, linked.label, "coref"
    return sorted(spans, key=lambda s: s.start)


def _acronym_definitions(toks: tuple[Token, ...]) -> list[tuple[int, int, int]]:
    """(name start, name end, acronym token) of "Front populaire ivoirien (FPI)"
    and "CNSP (Conseil national pour la sauvegarde de la patrie)": an acronym
    beside a bracket, and the words whose initials spell it on the other side."""
    found = []
    for p, t in enumerate(toks):
        if t.text != "(":
            continue
        if p + 2 < len(toks) and _is_acronym(toks[p + 1].text) and toks[p + 2].text in (")", ","):
            acronym, best = toks[p + 1].text, None
            for start in range(p - 1, max(-1, p - 13), -1):
                if not _wordlike(toks[start].text):
                    break
                fit = _spells(toks[start:p], acronym) if toks[start].text[:1].isupper() else 0
                if fit and (best is None or fit > best[0]):
                    best = (fit, start)
            if best:
                found.append((best[1], p, p + 1))
        elif p > 0 and _is_acronym(toks[p - 1].text):
            close = next((q for q in range(p + 1, min(len(toks), p + 16)) if toks[q].text in (")", ",")), None)
            inner = toks[p + 1 : close] if close else ()
            if len(inner) > 1 and inner[0].text[:1].isupper() and _spells(inner, toks[p - 1].text):
                found.append((p + 1, close, p - 1))
    return found


def _wordlike(text: str) -> bool:
    return text[:1].isalnum() or text in ("-", "'", "’")


def _spells(words: Iterable[Token], acronym: str) -> int:
    """How well the initials of `words` spell `acronym`: 3 in order, 2 in another
    order (an English acronym of a French name), 1 loosely (its first letter, and
    no letter the name lacks), 0 not at all."""
    initials = []
    for t in words:
        if fold(t.text) in _UNLETTERED or not t.text[:1].isalpha():
            continue
        if _is_acronym(t.text):
            initials += [c for c in t.text if c.isalpha()]  # "Forces armées de la RDC (FARDC)"
        else:
            initials += [part[0].upper() for part in t.text.split("-") if part[:1].isalpha()]
    letters = [c for c in acronym if c.isalpha()]
    if len(initials) < 2:
        return 0
    if initials == letters:
        return 3
    if sorted(initials) == sorted(letters):
        return 2
    if initials[0] == letters[0] and set(letters) <= set(initials) and len(initials) <= len(letters) + 1:
        return 1
    return 0


def _label_names(spans: list[_Span], toks: tuple[Token, ...], raw: str, kb: KnowledgeBase, rules: LinkRules) -> None:
    """Labels of the names the knowledge base does not know, from what the article says.

    What a name's own words or its neighbours say (`_evidence`) overrides the
    model, and one name (or an acronym and its expansion) keeps one label in
    the article: the strongest evidence any of its mentions has, else the
    expansion's label. A one-word name that is the last word of a person's
    full name in the article (or the first of a two-word one) is that person
    ("Zuma" after "Jacob Zuma", "Awa" after "Awa Traoré"), unless a title or
    its own words say otherwise; a name the model calls a person
    with no such evidence but that follows an article ("le Covid") is not one.
    A title before a knowledge-base name makes it a person's ("M. Austin").
    """
    groups: dict[str, list[_Span]] = defaultdict(list)
    ranked: dict[int, tuple[int, str]] = {}
    for s in spans:
        before = toks[s.start - 1].text if s.start else ""
        if s.label != "PER" and before in rules.titles:  # "M. Austin" is not the city
            s.label, s.method = "PER", "model"
            s.entity_id = _NIL + name_key(raw[toks[s.start].start : toks[s.end - 1].end])
        if s.entity_id.startswith(_NIL):
            ranked[id(s)] = (2, s.evidence) if s.evidence else _evidence(s, toks, kb, rules)
            groups[s.entity_id].append(s)
    # the words of full names of persons: KB persons, and names the article calls persons most
    majority = {key: _top(Counter(s.label for s in group)) for key, group in groups.items()}
    full_names = [
        words
        for s in spans
        if s.label == "PER" and majority.get(s.entity_id, "PER") == "PER"
        for words in [raw[toks[s.start].start : toks[s.end - 1].end].split()]
        if len(words) > 1 and all(w.replace("-", "").replace("'", "").isalpha() for w in words)
    ]
    surnames = {w[-1] for w in full_names} | {w[0] for w in full_names if len(w) == 2}
    for group in groups.values():
        best = max(ranked[id(s)][0] for s in group)
        found = Counter(ranked[id(s)][1] for s in group if ranked[id(s)][0] == best)
        text = raw[toks[group[0].start].start : toks[group[0].end - 1].end]
        if best < 2 and text in surnames and not _is_acronym(text):
            label = "PER"  # "Zuma" (ORG for the model) after "Jacob Zuma", "Awa" after "Awa Traoré"
        elif best:
            label = _top(found)
        elif len({s.end - s.start for s in group}) > 1 and any(_is_acronym(toks[s.start].text) for s in group):
            label = max(group, key=lambda s: s.end - s.start).label  # the acronym takes its expansion's label
        elif group[0].label == "PER" and any(
            s.end - s.start == 1 and s.start and fold(toks[s.start - 1].text) in _ARTICLES for s in group
        ):
            label = "MISC"  # "le Covid", "du Covid": not a person
        else:
            continue
        for s in group:
            s.label = label


def _complete_persons(
    spans: list[_Span], toks: tuple[Token, ...], raw: str, kb: KnowledgeBase, casing: _Casing
) -> None:
    """A person's name the model cut short ("d'Alla | Konstantinova de"): the
    capitalised words right after it, a space apart, that are no other name,
    no known name and never written in lowercase in the article, are its own."""
    starts = {s.start for s in spans}
    for s in spans:
        if s.label != "PER" or not s.entity_id.startswith(_NIL):
            continue
        end = s.end
        while (
            end < len(toks)
            and end - s.end < 2
            and end not in starts
            and toks[end].start == toks[end - 1].end + 1  # a space apart, no punctuation: the same sentence
            and toks[end].text[:1].isupper()
            and toks[end].text.replace("-", "").isalpha()
            and fold(toks[end].text) not in casing.lower
            and name_key(toks[end].text) not in kb.aliases
        ):
            end += 1
        if end > s.end:
            s.end = end
            s.entity_id = _NIL + name_key(raw[toks[s.start].start : toks[end - 1].end])


def _person_variants(spans: list[_Span], toks: tuple[Token, ...], raw: str, kb: KnowledgeBase) -> None:
    """An unknown two- or three-word name that is a known person's name with the
    surname first ("Soro Guillaume": Guillaume Soro, as a KB person or a full name
    the article wrote before), or a full name the article wrote before with one
    letter wrong in a long surname ("Adama Barro" after "Adama Barrow"), is that person."""
    persons: dict[str, tuple[str, int]] = {}  # name key -> (entity id, first token) of persons the article names
    for s in spans:
        if s.label == "PER" and s.end - s.start > 1:
            persons.setdefault(name_key(raw[toks[s.start].start : toks[s.end - 1].end]), (s.entity_id, s.start))
    by_first_names: dict[tuple[str, ...], list[tuple[str, tuple[str, int]]]] = defaultdict(list)
    for key, person in persons.items():
        by_first_names[tuple(key.split()[:-1])].append((key, person))
    starts = {s.start for s in spans}
    for s in spans:
        after = s.end
        if s.label == "PER" and after < len(toks) and after not in starts and toks[after].text[:1].isupper():
            # "Soro | Guillaume": the KB surname, then the first name
            alias = kb.aliases.get(name_key(f"{toks[after].text} {raw[toks[s.start].start : toks[s.end - 1].end]}"))
            if alias and alias.entity_id == s.entity_id:
                s.end += 1
        if not s.entity_id.startswith(_NIL):
            continue
        words = name_key(raw[toks[s.start].start : toks[s.end - 1].end]).split()
        if not 2 <= len(words) <= 3 or not all(t.text[:1].isupper() for t in toks[s.start : s.end]):
            continue
        inverted = " ".join([words[-1], *words[:-1]])
        alias = kb.aliases.get(inverted)
        if alias and kb.entities[alias.entity_id].type == "PER":
            s.entity_id, s.label, s.method = alias.entity_id, "PER", "kb"
        elif inverted in persons and persons[inverted][1] < s.start:
            s.entity_id, s.label = persons[inverted][0], "PER"
        elif s.label == "PER":
            near = [
                target
                for key, (target, first) in by_first_names.get(tuple(words[:-1]), ())
                if first < s.start and target != s.entity_id and _misspelt(words, key.split())
            ]
            if len(set(near)) == 1:
                s.entity_id = near[0]


def _misspelt(words: list[str], full: list[str]) -> bool:
    """The same first names, and last names of five letters or more one
    insertion, deletion or substitution apart."""
    if len(words) != len(full) or words[:-1] != full[:-1] or min(len(words[-1]), len(full[-1])) < 5:
        return False
    a, b = sorted((words[-1], full[-1]), key=len)
    if len(b) - len(a) > 1 or a == b:
        return False
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), len(a))
    return a[i + (len(a) == len(b)) :] == b[i + 1 :]


def _repeated_persons(spans: list[_Span], toks: tuple[Token, ...], casing: _Casing) -> list[_Span]:
    """A person's last name used again where the model tagged nothing ("Jacob
    Zuma" ... "la défense de Zuma"): a mention of that person (linked by
    `_corefer_persons`), unless the article also writes the word in lowercase,
    it follows an article or it stands beside another capitalised word."""
    covered = {i for s in spans for i in range(s.start, s.end)}
    surnames = {toks[s.end - 1].text for s in spans if s.label == "PER" and s.end - s.start > 1}
    added = []
    for i, t in enumerate(toks):
        if t.text not in surnames or i in covered or len(t.text) < 3 or not t.text[:1].isupper():
            continue
        if fold(t.text) in casing.lower or not t.text.replace("-", "").isalpha():
            continue
        if i and fold(toks[i - 1].text) in _ARTICLES:
            continue  # "la Cisa": not a person
        before = toks[i - 1].text if i else ""
        after = toks[i + 1].text if i + 1 < len(toks) else ""
        if (before[:1].isupper() and before[-1:].isalnum()) or after[:1].isupper():
            continue  # part of a longer name the model missed
        added.append(_Span(i, i + 1, "PER", _NIL + name_key(t.text), "model"))
    return sorted(spans + added, key=lambda s: s.start) if added else spans


def _evidence(s: _Span, toks: tuple[Token, ...], kb: KnowledgeBase, rules: LinkRules) -> tuple[int, str]:
    """The label a name's own words or its neighbours give it: (2, label) for
    strong evidence, (1, label) for weaker, (0, "") for none.

    Strong: ORG for a name headed by an institution word ("Front populaire
    ivoirien", "Patriotic Front"), LOC for a part of a known place ("Europe
    de l'Ouest"), PER after a title ("M. Zuma").
    Weaker: PER after a person word ("l'avocat Diallo", "le président
    congolais, X") or, for a name of two words or more, in apposition to one
    ("Awa Traoré, la directrice"); the descriptor's label after one ("le
    groupe armé Codeco", "le missile Sarmat") or in apposition ("Kpalimé, une
    ville"). Acronyms get no PER but a title's.
    """
    if {fold(toks[s.start].text), fold(toks[s.end - 1].text)} & rules.institution_heads:
        return 2, "ORG"
    place = kb.aliases.get(name_key(toks[s.start].text))
    if place and kb.entities[place.entity_id].type in ("LOC", "STATE") and s.end - s.start > 1:
        rest = {fold(t.text) for t in toks[s.start + 1 : s.end]}
        if rest <= rules.region_words | _ARTICLES | _OF:
            return 2, "LOC"  # "Europe de l'Ouest"
    i = s.start - 1
    if i >= 0 and toks[i].text in rules.titles:
        return 2, "PER"
    comma = i >= 0 and toks[i].text == ","
    i -= comma  # "le président nigérian, Bola Tinubu"
    while i >= 0 and s.start - i <= 4 and toks[i].pos == "ADJ" and toks[i].text.islower():
        i -= 1  # "le groupe armé Codeco"
    acronym = _is_acronym(toks[s.start].text)
    if i >= 0 and toks[i].text[:1].islower():
        if _person_word(toks[i], kb, rules) and not acronym:
            return 1, "PER"
        for label, words in rules.descriptors.items():
            if fold(toks[i].text) in words and not comma:
                return 1, label
    after = toks[s.end : s.end + 3]
    # an apposition, not the subject of the next clause ("à Kpalimé, une équipe de secours a vu")
    appos = len(after) == 3 and after[0].text == "," and not _clause_follows(toks, s.end + 1)
    if appos and fold(after[1].text) in _DETERMINERS | {"un", "une"}:
        for label, words in rules.descriptors.items():
            if fold(after[2].text) in words and label != "PER":
                return 1, label  # "Kpalimé, une ville du Togo"
    if s.end - s.start < 2 or acronym:
        return 0, ""  # an apposition may belong to the next name: "au Soleil, le président du club, X, a dit"
    if appos and fold(after[1].text) in _DETERMINERS:
        if _person_word(after[2], kb, rules):
            return 1, "PER"  # "Awa Traoré, la directrice de l'école"
    # the parse's apposition: "le chef de la Transition guinéenne, Mamadi Doumbouya"
    head = next((t for t in toks[s.start : s.end] if not s.start <= t.head < s.end), toks[s.start])
    if head.dep == "appos" and _person_word(toks[head.head], kb, rules):
        return 1, "PER"
    return 0, ""


def _clause_follows(toks: tuple[Token, ...], i: int) -> bool:
    """Whether a verb comes before the next punctuation from token i (or there is no parse)."""
    for t in toks[i : i + 20]:
        if not t.pos or t.pos in ("VERB", "AUX"):
            return True
        if t.text in (",", ".", ";", ":", ")", "!", "?"):
            return False
    return True


def _corefer_persons(spans: list[_Span], toks: tuple[Token, ...], raw: str) -> None:
    """Link partial person names to a fuller name of the same article.

    "Stoltenberg" after "Jens Stoltenberg", "Kim" after "Kim Jong-un". When
    several full names fit, the nearest one before the mention wins.
    """
    persons = [s for s in spans if s.label == "PER"]
    words = {id(s): name_key(raw[toks[s.start].start : toks[s.end - 1].end]).split() for s in persons}
    having: dict[str, list[_Span]] = {}  # word -> the persons whose name has it, in order
    for o in persons:
        for w in dict.fromkeys(words[id(o)]):
            having.setdefault(w, []).append(o)
    for s in persons:
        if not s.entity_id.startswith(_NIL):
            continue
        mine = words[id(s)]
        fuller = [
            o
            for o in (having.get(mine[0], []) if mine else persons)
            if o is not s and len(words[id(o)]) > len(mine) and _subsequence(mine, words[id(o)])
        ]
        if not fuller:
            continue
        before = [o for o in fuller if o.start < s.start]
        target = before[-1] if before else fuller[0]
        s.entity_id, s.method = target.entity_id, "coref"


def _subsequence(short: list[str], long: list[str]) -> bool:
    it = iter(long)
    return all(w in it for w in short)


def _refers_to(s: _Span, toks: tuple[Token, ...], kb: KnowledgeBase, rules: LinkRules) -> str:
    """The state a capital or seat stands for, unless it is used as a place."""
    state = kb.stands_for(s.entity_id)
    if not state:
        return ""
    if s.entity_id in kb.seats:
        return state
    head_tok = toks[s.start]
    # the head of the name within the parse: a token whose head is outside
    for t in toks[s.start : s.end]:
        if not (s.start <= t.head < s.end):
            head_tok = t
            break
    governor = toks[head_tok.head]
    cases = [t for t in toks[max(0, s.start - 3) : s.start] if t.dep == "case" and toks[t.head] is head_tok]
    if head_tok.dep in ("nsubj", "nsubj:pass", "obl:agent"):
        return state
    if fold(governor.lemma) in rules.place_heads:
        return ""
    if head_tok.dep == "conj":  # "entre Moscou et Pyongyang": the first conjunct decides
        first = toks[head_tok.head]
        if fold(toks[first.head].lemma) in rules.place_heads:
            return ""
    # "à Nairobi", "des pourparlers à Nairobi": where something happens
    if {fold(c.text) for c in cases} & _PLACE_CASES and (head_tok.dep.startswith("obl") or head_tok.dep == "nmod"):
        return ""
    return state


# ----------------------------------------------------------- demonyms, roles


def _demonyms(
    clean: CleanArticle, ann: AnnotatedArticle, kb: KnowledgeBase, rules: LinkRules, names: list[Mention]
) -> list[Mention]:
    """Words of nationality ("russe", "Nord-Coréennes", "russo-nord-coréen", the "russe" of "pro-russe").

    A form several states share ("congolais") is the one among them whose
    head of state or minister the sentence names ("le président congolais
    Félix Tshisekedi"), else the one the article names most (by name,
    capital or seat), if one does.
    """
    out = []
    named = Counter(kb.stands_for(m.entity_id) or m.entity_id for m in names)
    offices: dict[int, set[str]] = defaultdict(set)  # sentence -> states whose office-holders it names
    for m in names:
        offices[m.sentence_id] |= {r.of_id for r in kb.held.get(m.entity_id, [])}
    sentence_starts = [s.start for s in ann.sentences]
    for block in clean.blocks:
        for m in _WORDS.finditer(block.text):
            sentence_id = _sentence_at(ann, sentence_starts, block.raw_start + m.start())
            weights = None
            if any(name_key(part) in kb.shared_demonyms for part in m.group().split("-")):
                weights = named + Counter({state: len(names) + 1 for state in offices[sentence_id]})
            found = _demonym_state(m.group(), kb, rules, weights)
            if not found:
                continue
            skip, state = found
            start, end = block.raw_start + m.start() + skip, block.raw_start + m.end()
            out.append(
                Mention(
                    doc_id=ann.doc_id,
                    sentence_id=sentence_id,
                    start=start,
                    end=end,
                    text=clean.article.raw_text[start:end],
                    label="STATE",
                    entity_id=state,
                    kind="demonym",
                    method="kb",
                    refers_to="",
                )
            )
    return out


def _demonym_state(
    word: str, kb: KnowledgeBase, rules: LinkRules, named: Mapping[str, int] | None = None
) -> tuple[int, str] | None:
    """(characters before the demonym, its state) for a word, or None.

    "anti-turcs" -> the "turcs" after the prefix (`rules.demonym_affixes`);
    "franco-maliens", "russo-nord-coréen" -> the first state (the first part
    from `rules.demonym_prefixes`); "sénégalo-gambien" -> the state whose
    demonym starts with the part before "-o", when the rest is a demonym too.
    `named` weighs the states a shared form may mean (see `_demonyms`).
    """
    state = _form_state(name_key(word), kb, named)
    if state or "-" not in word:
        return (0, state) if state else None
    head, rest = word.split("-", 1)
    after = _demonym_state(rest, kb, rules, named)
    if fold(head) in rules.demonym_affixes:
        return (len(head) + 1 + after[0], after[1]) if after else None
    if fold(head) in rules.demonym_prefixes:  # "Russo-Coréenne": whatever follows
        state = _form_state(name_key(rules.demonym_prefixes[fold(head)]), kb, named)
    elif after and not after[0] and len(head) >= 5 and fold(head).endswith("o"):
        stem = name_key(head[:-1])
        states = {s for form, s in kb.demonyms.items() if form.startswith(stem) and " " not in form}
        state = states.pop() if len(states) == 1 else None
    return (0, state) if state else None


def _form_state(key: str, kb: KnowledgeBase, named: Mapping[str, int] | None) -> str | None:
    """The state of a demonym form; of a shared form, the one `named` weighs most, if one does."""
    if key in kb.demonyms:
        return kb.demonyms[key]
    ranked = sorted(((named or {}).get(s, 0), s) for s in kb.shared_demonyms.get(key, ()))
    if ranked and ranked[-1][0] > (ranked[-2][0] if len(ranked) > 1 else 0):
        return ranked[-1][1]
    return None


def _national_bodies(mentions: list[Mention], kb: KnowledgeBase, rules: LinkRules) -> list[Mention]:
    """A body every state has ("l'Assemblée nationale", "le ministère ukrainien
    de la défense", "le ministère de la défense de Moscou") is one state's: its
    name gets the state its own words give (a nationality adjective, a state or
    a capital after "de"), else the state the article names most, if one does,
    and is written as the knowledge base writes such names ("ministère de la
    Défense de l'Ukraine", "Assemblée nationale du Tchad"). So the Assemblée
    nationale of Chad and that of France are two entities, in one article or
    across a corpus. A name the article gives no state keeps its own name.
    """
    if not rules.national_bodies:
        return mentions
    named = Counter(
        state
        for m in mentions
        for state in [kb.stands_for(m.entity_id) or m.entity_id]
        if state in kb.entities and kb.entities[state].type == "STATE"
    )
    ranked = named.most_common(2)
    article_state = ranked[0][0] if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]) else None
    out = []
    for m in mentions:
        unknown_org = m.kind == "name" and m.label == "ORG" and m.entity_id.startswith(_NIL)
        found = unknown_org and _body_state(m.text, kb, rules)
        if found:
            body, state = found
            state = state or article_state
            if state:
                name = f"{body} {kb.of_state(state)}"
                alias = kb.aliases.get(name_key(name))
                m = replace(m, entity_id=alias.entity_id if alias else _NIL + name)
        out.append(m)
    return out


def _body_state(text: str, kb: KnowledgeBase, rules: LinkRules) -> tuple[str, str | None] | None:
    """(the body's name without its state, the state its words give or None)
    when `text` names one of `rules.national_bodies`, else None."""
    words = text.split()
    for n in range(min(len(words), 4), 0, -1):
        head = rules.national_bodies.get(name_key(" ".join(words[:n])))
        if head:
            break
    else:
        return None
    rest, state = words[n:], None
    for i, word in enumerate(rest):  # "ministère ukrainien de la défense", "Assemblée nationale française"
        if name_key(word) in kb.demonyms:
            state, rest = kb.demonyms[name_key(word)], rest[:i] + rest[i + 1 :]
            break
    for i in range(len(rest) - 1, -1, -1):  # "... de Moscou", "... de la Russie", "... d'Ukraine"
        word = fold(rest[i])
        tail = rest[i + 1 :] if word in _OF else [rest[i][2:]] + rest[i + 1 :] if word[:2] in ("d'", "d’") else None
        if not tail:
            continue
        if fold(tail[0]) in _DETERMINERS:
            tail = tail[1:]
        elif fold(tail[0])[:2] in ("l'", "l’"):
            tail = [tail[0][2:]] + tail[1:]
        alias = kb.aliases.get(name_key(" ".join(tail)))
        entity = alias and kb.entities.get(alias.entity_id)
        if entity and (entity.type == "STATE" or kb.stands_for(entity.entity_id)):
            state, rest = state or kb.stands_for(entity.entity_id) or entity.entity_id, rest[:i]
        break
    if head[:1].islower() and rest:  # "ministère de la défense" -> "ministère de la Défense"
        k = next((j for j, w in enumerate(rest) if fold(w) not in _OF | _DETERMINERS), None)
        if k is not None:
            word = rest[k]
            apostrophe = max(word.find("'"), word.find("’")) + 1
            rest[k] = word[:apostrophe] + word[apostrophe:][:1].upper() + word[apostrophe + 1 :]
    return " ".join([head, *rest]), state


def _sentence_at(ann: AnnotatedArticle, starts: list[int], offset: int) -> int:
    """The sentence at a character offset; `starts` are the sentences' starts."""
    i = bisect_right(starts, offset) - 1
    return ann.sentences[i].sentence_id if i >= 0 else -1


def _roles(
    clean: CleanArticle,
    ann: AnnotatedArticle,
    kb: KnowledgeBase,
    rules: LinkRules,
    mentions: list[Mention],
    keys: Mapping[str, str],
    *,
    date: str,
    today: str,
) -> list[Mention]:
    """Role phrases naming one person -> that person.

    A phrase is a role word with a complement ("président russe", "porte-parole
    du Kremlin", "ministre russe des Affaires étrangères": a demonym, or
    "de/du/des" and a linked state or organisation), or a role word used alone
    after a determiner ("le président", "le chef de la junte": the words marked
    `alone` in role_words.csv). Either may say a former holder ("ancien",
    "ex-", "défunt") or the current one ("actuel"), words of `rules.role_tense`.

    A phrase with a complement, not former, is the holder on the article's
    `date`; in an undated article, the one holder from the last year the
    article mentions to `today` if the KB has only one (an article is no
    older than the years it names, nor newer than the run). Otherwise (no
    date, a former holder, no complement) it is a person the article names
    whom the phrase fits: one the article gave that role in
    apposition ("le président Alassane Ouattara"), else one the KB lists in it
    (in office on `date`; without a date, in office at some time, a term
    without an end first). The latest such person named before the phrase
    wins; for a phrase with a complement, the first one named after it too.
    An undated article never gets today's holder for want of a date.
    Phrases in apposition to a person's name are left to the name.

    Args:
        keys: token text -> its `name_key`, for every token of the article.
    """
    toks, raw = ann.tokens, clean.article.raw_text
    since = "" if date else _last_year_named(clean, today)
    by_start = {m.start: m for m in mentions}
    names = sorted((m for m in mentions if m.kind == "name"), key=lambda m: m.start)
    name_starts = [m.start for m in names]
    persons = [m for m in names if m.label == "PER"]
    person_starts = [m.start for m in persons]
    named = {m.entity_id for m in persons}
    given: list[tuple[str, str, str, str]] = []  # (person, role, of, tense) said in apposition
    out: list[Mention] = []
    resolved: dict[tuple[str, str, str], str] = {}  # (role word, of, tense) -> holder, for short repeats
    max_words = max((len(w.split()) for w in kb.role_words), default=1)
    first_words = {w.split()[0] for w in kb.role_words}
    resume = 0  # the tokens before it belong to the last phrase read
    # most tokens cannot start a role word: look only at those that can
    for i in [k for k, t in enumerate(toks) if _unprefixed(keys[t.text]).split(" ")[0] in first_words]:
        if i < resume:
            continue
        match = _role_word_at(toks, i, kb, max_words)
        if not match:
            continue
        word, role, j, tense = match
        if _not_a_holder(toks, i, j, rules):
            resume = j
            continue
        of, end, role = _role_complement(toks, j, raw, kb, by_start, role)
        first = i
        if not tense and i > 0 and fold(toks[i - 1].text) in rules.role_tense:
            first, tense = i - 1, rules.role_tense[fold(toks[i - 1].text)]
        for n in (2, 1):  # "le président actuel", "le président en exercice"
            after = fold(" ".join(t.text for t in toks[end : end + n]))
            if end + n <= len(toks) and not tense and after in rules.role_tense:
                end, tense = end + n, rules.role_tense[after]
                break
        if of is None:
            of = ""
            # "chef de l'opposition": a complement the KB does not know; not "demander au président de partir"
            failed = any(
                k + 1 < len(toks)
                and fold(toks[k].text) in ("de", "du", "des", "d'", "d’")
                and toks[k + 1].pos not in ("VERB", "AUX")
                for k in {j, end}  # also after "en exercice": "le président en exercice du G5 Sahel"
            )
            alone = word in kb.role_alone or tense
            if failed or not alone or first == 0 or fold(toks[first - 1].text) not in rules.role_determiners:
                resume = j
                continue
        start_c, end_c = toks[first].start, toks[end - 1].end
        end_c -= len(raw[start_c:end_c]) - len(raw[start_c:end_c].rstrip(".,;:"))  # "chef d'Etat." ends a sentence
        k = bisect_right(name_starts, toks[i].start) - 1
        if k >= 0 and toks[i].start < names[k].end:
            resume = j  # the role word is inside a name ("Premier ministre" of a title)
            continue
        # the persons a phrase can stand beside are within a dozen tokens of it
        near = persons[
            bisect_left(person_starts, toks[max(0, first - 12)].start) : bisect_right(
                person_starts, toks[min(len(toks), end + 12) - 1].end
            )
        ]
        beside = _next_to_person(toks, first, end, raw, near, first_words)
        if beside:
            given.append((beside.entity_id, role, of, tense))
            resume = end
            continue
        # beside a name the model missed ("l'actuel président Adama Barro", "le président élu Biden")
        # or in apposition to one; or indefinite ("un président français")
        name_next = [k for k in (end, end + 1) if k < len(toks) and (k == end or toks[end].pos == "ADJ")]
        if (
            any(toks[k].pos == "PROPN" and toks[k].text[:1].isupper() for k in name_next)
            or any(toks[k].dep == "appos" and toks[toks[k].head].pos == "PROPN" for k in range(first, j))
            or (first > 0 and fold(toks[first - 1].text) in rules.role_other)
        ):
            resume = end
            continue
        holder = None
        if of and tense != "former":
            holder = kb.holder(role, of, date, named=named) if date else kb.holder_throughout(role, of, since, today)
        holder = (
            holder
            or _named_holder(role, of, tense, date, start_c, persons, given, kb)
            or resolved.get((word, of, tense))  # "le ministre russe" after "le ministre russe des Affaires étrangères"
        )
        if holder:
            resolved[(word, of, tense)] = holder
            out.append(
                Mention(
                    ann.doc_id,
                    toks[first].sentence_id,
                    start_c,
                    end_c,
                    raw[start_c:end_c],
                    kb.entities[holder].type if holder in kb.entities else "PER",
                    holder,
                    "role",
                    "kb",
                    "",
                )
            )
        resume = end
    return out


def _named_holder(
    role: str,
    of: str,
    tense: str,
    date: str,
    at: int,
    persons: list[Mention],
    given: list[tuple[str, str, str, str]],
    kb: KnowledgeBase,
) -> str | None:
    """The person named in the article whom a role phrase at offset `at` fits (see `_roles`)."""

    def fit(person: str) -> int | None:
        """0: given the role in apposition; 1: a KB term fits well; 2: loosely; None: no fit."""
        for p, r, o, t in given:
            if p == person and role_head(r) == role_head(role) and o == of and (t == "former") == (tense == "former"):
                return 0
        terms = kb.roles_held(person, role, of)
        if not terms:
            return None
        if tense == "former":
            if date:
                over = all(not r.valid_on(date) for r in terms) and any(r.ended_by(date) for r in terms)
            else:
                over = all(r.valid_to for r in terms)
            return 1 if over else None
        if date:
            return 1 if any(r.valid_on(date) for r in terms) else None
        return 1 if any(not r.valid_to for r in terms) else 2

    before = [m for m in persons if m.end <= at and m.entity_id in kb.entities]
    ranked = [(f, -m.start, m.entity_id) for m in before if (f := fit(m.entity_id)) is not None]
    if not ranked and of:  # "le président russe ... Vladimir Poutine"
        after = [m for m in persons if m.start >= at and m.entity_id in kb.entities]
        ranked = [(f, m.start, m.entity_id) for m in after if (f := fit(m.entity_id)) is not None]
    return min(ranked)[2] if ranked else None


def _last_year_named(clean: CleanArticle, today: str) -> str:
    """The latest year (1900 .. today's) the article's text names, "" if none: no article predates it."""
    years = [y for b in clean.blocks for y in _YEARS.findall(b.text) if "1900" <= y <= today[:4]]
    return max(years, default="")


def _not_a_holder(toks: tuple[Token, ...], i: int, j: int, rules: LinkRules) -> bool:
    """A role word (tokens i..j-1) that names no holder of the office at the time.

    An adjective ("le fonds souverain"), an attribute ("Trump sera le
    président", "devenu président", "en tant que président", "commandant en
    chef") or an office in general ("le premier président", "le futur
    président": `rules.role_other`).
    """
    if not any(t.pos in ("NOUN", "PROPN") for t in toks[i:j]):
        return True
    if any(t.dep == "cop" and i <= t.head < j for t in toks[max(0, i - 4) : i]):
        return True
    if i == 0:
        return False
    before = fold(toks[i - 1].text)
    return before in rules.role_other or before in ("en", "comme", "que") or toks[i - 1].pos in ("VERB", "AUX")


def _unprefixed(key: str) -> str:
    """A role word's key without the "ex-" of "l'ex-président"."""
    return key[3:] if key.startswith("ex ") else key


def _role_word_at(
    toks: tuple[Token, ...], i: int, kb: KnowledgeBase, max_words: int
) -> tuple[str, str, int, str] | None:
    """The longest role word starting at token i ("chef de l'État", "président", "ex-président").

    Returns (word key, role, end token, tense): tense "former" for "ex-".
    """
    for n in range(min(max_words * 2, len(toks) - i), 0, -1):
        key = name_key(_join(toks[i : i + n]))
        if key in kb.role_words:
            return key, kb.role_words[key], i + n, ""
        if _unprefixed(key) in kb.role_words and key != _unprefixed(key):
            return _unprefixed(key), kb.role_words[_unprefixed(key)], i + n, "former"
    return None


def _role_complement(toks, j, raw, kb, by_start, role):
    """What follows a role word: (of_id, end token, refined role) or (None, j, role)."""
    if j >= len(toks):
        return None, j, role
    word, after = _hyphenated(toks, j)
    demonym = by_start.get(toks[j].start)  # found by `_demonyms`, shared forms ("congolais") decided
    if demonym and demonym.kind == "demonym" and demonym.end == toks[after - 1].end:
        state = demonym.entity_id if word[:1].islower() else None
    else:
        state = kb.demonyms.get(name_key(word)) if word[:1].islower() else None
    if state:
        end = after
        # "ministre russe des Affaires étrangères": the complement refines the role
        for n in range(6, 1, -1):
            if end + n <= len(toks) and fold(toks[end].text) in ("des", "de", "du"):
                longer = name_key(f"{role_head(role)} " + " ".join(t.text for t in toks[end : end + n]))
                if longer in kb.role_words:
                    return state, end + n, kb.role_words[longer]
        return state, end, role
    if fold(toks[j].text) in ("du", "de", "des", "d'") and j + 1 < len(toks):
        k = j + 1
        if fold(toks[k].text) in ("la", "l'"):
            k += 1
        m = by_start.get(toks[k].start) if k < len(toks) else None
        if m and m.kind == "name" and m.label in ("STATE", "ORG"):
            end = k
            while end < len(toks) and toks[end].end <= m.end:
                end += 1
            return m.entity_id, end, role
    return None, j, role


def _hyphenated(toks: tuple[Token, ...], j: int) -> tuple[str, int]:
    """The word at token j with its attached hyphen parts ("nord-coréen")."""
    end = j + 1
    while (
        end + 1 < len(toks)
        and toks[end].text == "-"
        and toks[end - 1].end == toks[end].start == toks[end + 1].start - 1
    ):
        end += 2
    return _join(toks[j:end]), end


def role_head(role: str) -> str:
    """First word of a role phrase: "ministre des affaires étrangères" -> "ministre"."""
    return role.split()[0]


def _next_to_person(
    toks: tuple[Token, ...], first: int, end: int, raw: str, persons: list[Mention], titles: Collection[str]
) -> Mention | None:
    """The person a role phrase (tokens first..end) is in apposition to, or None.

    The name comes right after the phrase or right before it (", "), or after
    another title (", le roi Abdallah II"; `titles`: first words of role
    words), or the parse makes one the apposition of the other ("Kurt
    Campbell, le secrétaire d'État adjoint", "Yahya Jammeh, le célèbre ancien
    président").
    """
    start, stop = toks[first].start, toks[end - 1].end
    inside = set(range(first, end))
    for p in persons:
        if 0 <= p.start - stop <= 2 or 0 <= start - p.end <= 3:
            return p
        gap = raw[stop : p.start] if stop <= p.start else ""
        if _TITLED_NAME_GAP.fullmatch(gap) and any(name_key(w) in titles for w in gap.split()):
            return p  # "l'actuel souverain de Jordanie, le roi Abdallah II" (not "..., le général X")
        tokens = {k for k in range(max(0, first - 12), min(len(toks), end + 12)) if p.start <= toks[k].start < p.end}
        if any(toks[k].dep == "appos" and toks[k].head in inside for k in tokens) or any(
            toks[k].dep == "appos" and toks[k].head in tokens for k in inside
        ):
            return p
    return None


# ------------------------------------------------------------------- corpus


def link_corpus(
    documents: Iterable[list[Mention]], kb: KnowledgeBase
) -> tuple[list[Mention], list[Entity], dict[str, str]]:
    """Give names outside the KB stable ids, merge their variants, count entities.

    A `nil:` name becomes `<type>:<slug>`, its type the label most often given
    to it, its name the spelling the id was made from ("Awa Traoré", not the
    "Awa" that joined it). A one-word person name that is the last word of
    exactly one longer person name of the corpus joins it ("Stoltenberg" ->
    "Jens Stoltenberg"); an acronym the corpus defines by exactly one name
    ("Front populaire ivoirien (FPI)") is that name in every article.

    Returns:
        the mentions with final ids, the entities table, and the final id of
        every provisional `nil:` id (for records made before this step).
    """
    mentions = [m for doc in documents for m in doc]
    labels: dict[str, Counter] = defaultdict(Counter)
    surfaces: dict[str, Counter] = defaultdict(Counter)
    expansions: dict[str, set[str]] = defaultdict(set)  # an acronym's nil id -> the ids it was defined as
    for m in mentions:
        if m.entity_id.startswith(_NIL):
            labels[m.entity_id][m.label] += 1
            surfaces[m.entity_id][m.text] += 1
        if m.kind == "name" and _is_acronym(m.text) and m.entity_id != _NIL + name_key(m.text):
            expansions[_NIL + name_key(m.text)].add(m.entity_id)

    nil_type = {key: _top(c) for key, c in labels.items()}
    full_persons = defaultdict(set)
    for key, t in nil_type.items():
        words = key[len(_NIL) :].split()
        if t == "PER" and len(words) > 1:
            full_persons[words[-1]].add(key)
    kb_persons = defaultdict(set)
    for e in kb.entities.values():
        if e.type == "PER" and len(name_key(e.name).split()) > 1:
            kb_persons[name_key(e.name).split()[-1]].add(e.entity_id)

    final_id: dict[str, str] = {}
    for key, t in nil_type.items():
        words = key[len(_NIL) :].split()
        target = key
        if t == "PER" and len(words) == 1:
            candidates = full_persons.get(words[0], set()) | kb_persons.get(words[0], set())
            if len(candidates) == 1:
                target = next(iter(candidates))
        elif len(expansions.get(key, ())) == 1:
            target = next(iter(expansions[key]))
        final_id[key] = target

    def resolve(key: str) -> str:
        target = final_id.get(key, key)
        if target.startswith(_NIL):
            return f"{nil_type[target].lower()}:{_slug(target[len(_NIL) :])}"
        return target

    renamed = {key: resolve(key) for key in nil_type}
    linked = []
    for m in mentions:
        if m.entity_id.startswith(_NIL):
            target, entity_id = final_id[m.entity_id], renamed[m.entity_id]
            label = (
                kb.entities[entity_id].type
                if entity_id in kb.entities
                else nil_type[target]
                if target.startswith(_NIL)
                else m.label
            )
            m = replace(m, entity_id=entity_id, label=label, method="cluster" if target != m.entity_id else m.method)
        linked.append(m)

    names = {renamed[key]: _spelling(key, surfaces[key]) for key in nil_type if final_id[key] == key}
    return linked, _entities(linked, kb, names), renamed


def _entities(mentions: list[Mention], kb: KnowledgeBase, nil_names: dict[str, str]) -> list[Entity]:
    counts: Counter = Counter()
    docs: dict[str, set] = defaultdict(set)
    aliases: dict[str, set] = defaultdict(set)
    types: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        counts[m.entity_id] += 1
        docs[m.entity_id].add(m.doc_id)
        aliases[m.entity_id].add(m.text)
        types[m.entity_id][m.label] += 1
    out = []
    for entity_id in sorted(counts):
        known = kb.entities.get(entity_id)
        out.append(
            Entity(
                entity_id=entity_id,
                name=known.name if known else nil_names.get(entity_id, _top(Counter(aliases[entity_id]))),
                type=known.type if known else _top(types[entity_id]),
                wikidata=known.wikidata if known else "",
                mentions=counts[entity_id],
                documents=len(docs[entity_id]),
                aliases="|".join(sorted(aliases[entity_id])),
            )
        )
    return out


def _spelling(key: str, surfaces: Counter) -> str:
    """The commonest spelling of a `nil:` id's own name among the texts of its
    mentions; an id written as a name, not as a key, is that name
    ("nil:Assemblée nationale du Tchad", see `_national_bodies`)."""
    own = Counter({text: n for text, n in surfaces.items() if _NIL + name_key(text) == key})
    if not own and key != _NIL + name_key(key[len(_NIL) :]):
        return key[len(_NIL) :]
    return _top(own or surfaces)


def _top(counter: Counter) -> str:
    """Most common key; ties broken alphabetically, so runs are identical."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
