"""Link stage: NER spans + knowledge base -> mentions of canonical entities.

Per article (`link_article`):
1. knowledge-base names are found in the tokens (longest match first);
2. they are merged with the model's spans: the knowledge base fixes labels
   (STATE, Kremlin ORG) and splits compounds ("Poutine-Kim"), a facility name
   ("place Kim Il-sung") or a longer organisation name keeps the model's span;
3. partial person names link to a full name of the same article ("Poutine",
   "Kim" -> the Kim of the article);
4. demonyms ("nord-coréenne") and role phrases ("le président russe") become
   mentions of their state or holder;
5. capitals and seats used for their state get `refers_to`.
Across the corpus (`link_corpus`), names outside the knowledge base get
stable ids and their variants merge ("Stoltenberg" -> "Jens Stoltenberg").
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from pipeline.kb import KnowledgeBase
from pipeline.records import AnnotatedArticle, CleanArticle, Entity, Mention, Token
from pipeline.text import fold, name_key

_DETERMINERS = {"le", "la", "les", "l'", "l’"}
_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_NIL = "nil:"


@dataclass(frozen=True)
class LinkRules:
    """Word lists of models/link_rules.toml, folded for matching."""

    stop_names: frozenset[str]
    facility_words: frozenset[str]
    demonym_prefixes: Mapping[str, str]
    place_heads: frozenset[str]

    @classmethod
    def from_dict(cls, data: Mapping) -> LinkRules:
        return cls(
            stop_names=frozenset(name_key(w) for w in data.get("stop_names", [])),
            facility_words=frozenset(fold(w) for w in data.get("facility_words", [])),
            demonym_prefixes={fold(k): v for k, v in data.get("demonym_prefixes", {}).items()},
            place_heads=frozenset(fold(w) for w in data.get("metonymy", {}).get("place_heads", [])),
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


# ------------------------------------------------------------------ article


def link_article(
    clean: CleanArticle, ann: AnnotatedArticle, kb: KnowledgeBase, rules: LinkRules, *, today: str
) -> list[Mention]:
    """Mentions of one article; names outside the KB get provisional `nil:` ids.

    Args:
        today: ISO date used for roles when the article has no date.
    """
    raw, toks = clean.article.raw_text, ann.tokens
    keys = {text: name_key(text) for text in {t.text for t in toks}}  # words repeat: one key per distinct one
    spans = _merge(_model_spans(ann, raw, kb, rules), _kb_spans(ann, raw, kb, keys), toks, rules)
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
    mentions += _demonyms(clean, ann, kb, rules)
    mentions += _roles(clean, ann, kb, mentions, keys, date=clean.article.date or today)
    return sorted(mentions, key=lambda m: (m.start, m.end, m.kind))


def _model_spans(ann: AnnotatedArticle, raw: str, kb: KnowledgeBase, rules: LinkRules) -> list[_Span]:
    """The model's spans, trimmed, without the ones that are not names."""
    spans, toks = [], ann.tokens
    for ent in ann.entities:
        start, end = ent.token_start, ent.token_end
        while start < end and (fold(toks[start].text) in _DETERMINERS or not toks[start].text[:1].isalnum()):
            start += 1
        while end > start and not toks[end - 1].text[-1:].isalnum():
            end -= 1
        if start == end:
            continue
        first = fold(toks[start].text)
        if toks[start].text[:1].islower() and first not in rules.facility_words:
            if first in kb.role_words:
                continue  # "ministre russe des Affaires étrangères": a role, not a name
            # "région de Koursk": the descriptor is not part of the name
            while start < end and not toks[start].text[:1].isupper():
                start += 1
            if start == end:
                continue
        text = raw[toks[start].start : toks[end - 1].end]
        if not any(c.isupper() for c in text) or name_key(text) in rules.stop_names:
            continue
        if _demonym_state(text, kb, rules):
            continue  # "Américains", "Nord-Coréen": demonyms, found below
        if (
            _at_sentence_start(toks, start, ann)
            and not any(t.pos == "PROPN" for t in toks[start:end])
            and toks[start].pos
        ):
            continue  # "Rencontres avec ...", "Coopération militaire": capital of position only
        spans.append(_Span(start, end, ent.label, _NIL + name_key(text), "model"))
    return spans


def _at_sentence_start(toks: tuple[Token, ...], i: int, ann: AnnotatedArticle) -> bool:
    first = ann.sentences[toks[i].sentence_id].token_start
    return all(fold(t.text) in _DETERMINERS or not t.text[:1].isalnum() for t in toks[first:i])


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
    if cases and fold(cases[-1].text) in ("à", "au", "en", "dans", "vers", "depuis") and head_tok.dep.startswith("obl"):
        return ""
    return state


# ----------------------------------------------------------- demonyms, roles


def _demonyms(clean: CleanArticle, ann: AnnotatedArticle, kb: KnowledgeBase, rules: LinkRules) -> list[Mention]:
    """Words of nationality ("russe", "Nord-Coréennes", "russo-nord-coréen")."""
    out = []
    sentence_starts = [s.start for s in ann.sentences]
    for block in clean.blocks:
        for m in _WORDS.finditer(block.text):
            state = _demonym_state(m.group(), kb, rules)
            if not state:
                continue
            start, end = block.raw_start + m.start(), block.raw_start + m.end()
            out.append(
                Mention(
                    doc_id=ann.doc_id,
                    sentence_id=_sentence_at(ann, sentence_starts, start),
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


def _demonym_state(word: str, kb: KnowledgeBase, rules: LinkRules) -> str | None:
    state = kb.demonyms.get(name_key(word))
    if state or "-" not in word:
        return state
    first = fold(word.split("-")[0])
    if first in rules.demonym_prefixes:
        return kb.demonyms.get(name_key(rules.demonym_prefixes[first]))
    return None


def _sentence_at(ann: AnnotatedArticle, starts: list[int], offset: int) -> int:
    """The sentence at a character offset; `starts` are the sentences' starts."""
    i = bisect_right(starts, offset) - 1
    return ann.sentences[i].sentence_id if i >= 0 else -1


def _roles(
    clean: CleanArticle,
    ann: AnnotatedArticle,
    kb: KnowledgeBase,
    mentions: list[Mention],
    keys: Mapping[str, str],
    *,
    date: str,
) -> list[Mention]:
    """Role phrases naming one person: "président russe", "porte-parole du Kremlin",
    "ministre russe des Affaires étrangères" -> the holder on `date`.

    The phrase is a role word followed by a demonym or by "de/du/des" and a
    linked state or organisation. Phrases in apposition to a person's name
    ("le président russe Vladimir Poutine") are left to the name.

    Args:
        keys: token text -> its `name_key`, for every token of the article.
    """
    toks, raw = ann.tokens, clean.article.raw_text
    by_start = {m.start: m for m in mentions}
    persons = [m for m in mentions if m.label == "PER" and m.kind == "name"]
    out: list[Mention] = []
    resolved: dict[tuple[str, str], str] = {}  # (role word, of) -> holder, for short repeats
    max_words = max((len(w.split()) for w in kb.role_words), default=1)
    first_words = {w.split()[0] for w in kb.role_words}
    resume = 0  # the tokens before it belong to the last phrase read
    # most tokens cannot start a role word: look only at those that can
    for i in [k for k, t in enumerate(toks) if keys[t.text] in first_words]:
        if i < resume:
            continue
        match = _role_word_at(toks, i, kb, max_words)
        if not match:
            continue
        word, role, j = match
        of, end, role = _role_complement(toks, j, raw, kb, by_start, role)
        if of is None or _next_to_person(toks, i, end, persons):
            resume = j
            continue
        holder = kb.holder(role, of, date) if role else None
        holder = holder or resolved.get((word, of))
        if holder:
            resolved[(word, of)] = holder
            start_c, end_c = toks[i].start, toks[end - 1].end
            kind_type = kb.entities[holder].type if holder in kb.entities else "PER"
            out.append(
                Mention(
                    ann.doc_id,
                    toks[i].sentence_id,
                    start_c,
                    end_c,
                    raw[start_c:end_c],
                    kind_type,
                    holder,
                    "role",
                    "kb",
                    "",
                )
            )
        resume = end
    return out


def _role_word_at(toks: tuple[Token, ...], i: int, kb: KnowledgeBase, max_words: int) -> tuple[str, str, int] | None:
    """The longest role word starting at token i ("chef de l'État", "président")."""
    for n in range(min(max_words * 2, len(toks) - i), 0, -1):
        key = name_key(_join(toks[i : i + n]))
        if key in kb.role_words:
            return key, kb.role_words[key], i + n
    return None


def _role_complement(toks, j, raw, kb, by_start, role):
    """What follows a role word: (of_id, end token, refined role) or (None, j, role)."""
    if j >= len(toks):
        return None, j, role
    word, after = _hyphenated(toks, j)
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


def _next_to_person(toks, i: int, end: int, persons: list[Mention]) -> bool:
    """An apposition: a person's name right before (", ") or right after the phrase."""
    start_c, end_c = toks[i].start, toks[end - 1].end
    for p in persons:
        if 0 <= p.start - end_c <= 2 or 0 <= start_c - p.end <= 3:
            return True
    return False


# ------------------------------------------------------------------- corpus


def link_corpus(
    documents: Iterable[list[Mention]], kb: KnowledgeBase
) -> tuple[list[Mention], list[Entity], dict[str, str]]:
    """Give names outside the KB stable ids, merge their variants, count entities.

    A `nil:` name becomes `<type>:<slug>`, its type the label most often given
    to it. A one-word person name that is the last word of exactly one longer
    person name of the corpus joins it ("Stoltenberg" -> "Jens Stoltenberg").

    Returns:
        the mentions with final ids, the entities table, and the final id of
        every provisional `nil:` id (for records made before this step).
    """
    mentions = [m for doc in documents for m in doc]
    labels: dict[str, Counter] = defaultdict(Counter)
    surfaces: dict[str, Counter] = defaultdict(Counter)
    for m in mentions:
        if m.entity_id.startswith(_NIL):
            labels[m.entity_id][m.label] += 1
            surfaces[m.entity_id][m.text] += 1

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

    names = {renamed[key]: _top(surfaces[key]) for key in nil_type if final_id[key] == key}
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


def _top(counter: Counter) -> str:
    """Most common key; ties broken alphabetically, so runs are identical."""
    return min(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
