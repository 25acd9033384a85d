"""Relations stage: typed relations between linked mentions, read off the
dependency parse of one article (spaCy French UD labels).

Patterns read on each sentence (word lists in models/relations.toml):
- a verb with a subject and an object: "Poutine a rencontré Kim" -> MEET;
  objects behind a preposition by relation type: "se rendre en Corée du
  Nord" -> VISIT, "livrer des armes à la Russie" -> SUPPLY (the recipient),
  "signer un accord avec la Chine" -> SIGN;
- passive: the agent is the subject ("Pyongyang est accusé par Washington");
- a verb without a subject of its own takes it from the clause it hangs
  from: an infinitive the object of its governor ("accuser Pyongyang de
  livrer"), a gerund or a coordinated verb its governor's subject, a
  relative clause its antecedent ("Kim, qui a rencontré Poutine");
- nouns: "la visite de Poutine en Corée du Nord", "les sanctions américaines
  contre la Russie", "la rencontre entre Poutine et Kim", and light verbs
  ("Poutine a entamé une visite en Corée du Nord");
- appositions: "Jens Stoltenberg, secrétaire général de l'Otan" ->
  AFFILIATED_WITH (predicate "appos").
Conjoined arguments each get the relation; "ne ... pas" sets `negated`.
A relation names the entity ids of its mentions as they are: folding a
capital into its state (`refers_to`) is left to the caller.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pipeline.records import AnnotatedArticle, Mention, Relation, Token
from pipeline.text import fold

_SUBJECT = ("nsubj",)
_PASSIVE_SUBJECT = ("nsubj:pass",)
_OBLIQUES = ("obl", "obl:arg", "obl:mod", "obl:agent")
_KIND_ORDER = ("name", "role", "demonym")
_VERBS = ("VERB", "AUX")
_NOUNS = ("NOUN", "PROPN")
_MAX_DEPTH = 6  # how far a subject is looked for up the tree


# ------------------------------------------------------------------ rules


@dataclass(frozen=True)
class RelationRules:
    """Word lists of models/relations.toml, folded for matching."""

    types: Mapping[str, str]  # folded lemma ("se rendre") -> relation type
    keep_unmapped: bool
    symmetric: frozenset[str]
    object_cases: Mapping[str, frozenset[str]]
    theme_types: frozenset[str]  # types whose direct object is the thing given
    excluded_objects: Mapping[str, frozenset[str]]
    agent_cases: frozenset[str]
    between_cases: frozenset[str]
    light_verbs: frozenset[str]
    negation_words: frozenset[str]
    negation_with_ne: frozenset[str]
    negation_particles: frozenset[str]
    relative_pronouns: frozenset[str]
    passive_agent_cases: frozenset[str]
    appos_relation: str
    person_labels: frozenset[str]
    group_labels: frozenset[str]

    @classmethod
    def from_dict(cls, data: Mapping) -> RelationRules:
        objects = data.get("objects", {})
        nouns = data.get("nouns", {})
        negation = data.get("negation", {})
        arguments = data.get("arguments", {})
        appos = data.get("apposition", {})
        return cls(
            types={_lemma_key(lemma): kind for kind, lemmas in data.get("relations", {}).items() for lemma in lemmas},
            keep_unmapped=bool(data.get("keep_unmapped", False)),
            symmetric=frozenset(data.get("symmetric", [])),
            object_cases={kind: _folded(cases) for kind, cases in objects.get("cases", {}).items()},
            theme_types=frozenset(objects.get("theme_types", [])),
            excluded_objects={kind: _folded(words) for kind, words in objects.get("exclude", {}).items()},
            agent_cases=_folded(nouns.get("agent_cases", [])),
            between_cases=_folded(nouns.get("between_cases", [])),
            light_verbs=_folded(nouns.get("light_verbs", [])),
            negation_words=_folded(negation.get("words", [])),
            negation_with_ne=_folded(negation.get("with_ne", [])),
            negation_particles=_folded(negation.get("particles", [])),
            relative_pronouns=_folded(arguments.get("relative_pronouns", [])),
            passive_agent_cases=_folded(arguments.get("passive_agent_cases", ["par"])),
            appos_relation=appos.get("relation", "AFFILIATED_WITH"),
            person_labels=frozenset(appos.get("person_labels", ["PER"])),
            group_labels=frozenset(appos.get("group_labels", ["ORG", "STATE"])),
        )


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


@lru_cache(maxsize=1 << 16)
def _lemma_key(lemma: str) -> str:
    """ "s'entretenir" and "se entretenir" share a key: "se entretenir"."""
    key = fold(lemma).strip()
    return "se " + key[2:] if key.startswith("s'") else key


def _reflexive(lemma: str) -> str:
    """The reflexive form as written: "se rendre", "s'entretenir"."""
    return ("s'" if fold(lemma)[:1] in "aeiouyh" else "se ") + lemma


# ------------------------------------------------------------------ parse


@dataclass(frozen=True)
class _Parse:
    """The tokens of an article with the lookups the patterns need."""

    toks: tuple[Token, ...]
    children: Mapping[int, tuple[int, ...]]
    heads: Mapping[int, tuple[Mention, ...]]  # token -> mentions it is the head of
    head_tokens: Mapping[Mention, tuple[int, ...]]  # mention -> its head tokens
    roles: Mapping[int, Mention]  # token -> role mention covering it
    in_name: frozenset[int]  # tokens inside name mentions
    span: Mapping[int, frozenset[int]]  # token -> all tokens of the mentions it is in
    predicates: tuple[int, ...]  # verbs and nouns of listed relations outside name mentions, in order


def _build_parse(ann: AnnotatedArticle, mentions: Sequence[Mention], rules: RelationRules) -> _Parse:
    toks = ann.tokens
    children: dict[int, list[int]] = {}
    for i, t in enumerate(toks):
        if t.head != i:
            children.setdefault(t.head, []).append(i)
    heads: dict[int, list[Mention]] = {}
    head_tokens: dict[Mention, tuple[int, ...]] = {}
    roles: dict[int, Mention] = {}
    in_name: set[int] = set()
    spans: dict[int, set[int]] = {}
    starts = [t.start for t in toks]
    for m in mentions:
        span = mention_tokens(toks, starts, m)
        head_tokens[m] = tuple(mention_heads(toks, span))
        for i in head_tokens[m]:
            heads.setdefault(i, []).append(m)
        for i in span:
            spans.setdefault(i, set()).update(span)
            if m.kind == "role":
                roles.setdefault(i, m)
            elif m.kind == "name":
                in_name.add(i)
    predicates = [
        i
        for i, t in enumerate(toks)
        if (t.pos in _VERBS or (t.pos in _NOUNS and _lemma_key(t.lemma) in rules.types)) and i not in in_name
    ]
    return _Parse(
        toks,
        {k: tuple(v) for k, v in children.items()},
        {k: tuple(v) for k, v in heads.items()},
        head_tokens,
        roles,
        frozenset(in_name),
        {k: frozenset(v) for k, v in spans.items()},
        tuple(predicates),
    )


def mention_tokens(toks: Sequence[Token], starts: Sequence[int], m: Mention) -> list[int]:
    """Indices of the tokens within the mention's characters; tokens that
    only overlap it when none lies within ("Poutine" in "Poutine-Kim")."""
    i = bisect_left(starts, m.start)
    inside = []
    while i < len(toks) and toks[i].end <= m.end:
        inside.append(i)
        i += 1
    if inside:
        return inside
    lo = max(0, bisect_left(starts, m.start) - 1)
    return [j for j in range(lo, min(len(toks), i + 1)) if toks[j].start < m.end and m.start < toks[j].end]


def mention_heads(toks: Sequence[Token], span: Sequence[int]) -> list[int]:
    """Tokens of the span whose head lies outside it (or is themselves):
    several when the parse splits a name ("Kim Jong-un" -> "Kim", "un")."""
    inside = set(span)
    return [i for i in span if toks[i].head == i or toks[i].head not in inside]


def _kids(p: _Parse, i: int, deps: Iterable[str]) -> list[int]:
    wanted = set(deps)
    return [c for c in p.children.get(i, ()) if p.toks[c].dep in wanted]


def _case(p: _Parse, i: int) -> str:
    """The preposition of a noun phrase ("en" in "en Corée"), folded, or "";
    not one inside the token's mention (the "du" of "Corée du Nord")."""
    own = p.span.get(i, frozenset())
    cases = [c for c in _kids(p, i, ("case",)) if c not in own]
    return fold(p.toks[cases[0]].text) if cases else ""


def _conjuncts(p: _Parse, i: int) -> list[int]:
    """The token and the tokens coordinated with it ("Poutine et Kim")."""
    out, todo = [], [i]
    while todo and len(out) < 50:
        j = todo.pop(0)
        if j not in out:
            out.append(j)
            todo += _kids(p, j, ("conj",))
    return out


# ------------------------------------------------------------- arguments


def _mentions_at(p: _Parse, i: int) -> list[Mention]:
    """The mentions an argument token stands for: those it heads (a name
    rather than a demonym), else the role phrase it is in, else a person
    named in apposition ("le dirigeant nord-coréen Kim Jong-un")."""
    found = p.heads.get(i, ())
    for kind in _KIND_ORDER:
        best = [m for m in found if m.kind == kind]
        if best:
            return best
    if i in p.roles:
        return [p.roles[i]]
    return [m for a in _kids(p, i, ("appos",)) for m in p.heads.get(a, ()) if m.kind == "name"]


def _resolve(p: _Parse, tokens: Iterable[int], rules: RelationRules) -> list[Mention]:
    """Mentions of argument tokens and their conjuncts; a relative pronoun
    stands for the noun its clause modifies."""
    out: list[Mention] = []
    for i in tokens:
        for j in _conjuncts(p, _antecedent(p, i, rules)):
            out += [m for m in _mentions_at(p, j) if m not in out]
    return out


def _antecedent(p: _Parse, i: int, rules: RelationRules) -> int:
    t = p.toks[i]
    verb = p.toks[t.head]
    if fold(t.lemma) in rules.relative_pronouns and verb.dep == "acl:relcl":
        return verb.head
    return i


def _is_passive(p: _Parse, v: int, rules: RelationRules) -> bool:
    """A passive verb, or a participle with an agent ("accueilli par Kim")."""
    if _kids(p, v, ("nsubj:pass", "aux:pass")):
        return True
    agents = [a for a in _kids(p, v, ("obl:agent",)) if _case(p, a) in rules.passive_agent_cases]
    return bool(agents) and not _kids(p, v, _SUBJECT)


def _grammatical_subject(p: _Parse, v: int, rules: RelationRules, depth: int = 0) -> list[int]:
    """The subject of a verb, or the one it inherits when it has none: an
    infinitive the object (else the subject) of its governor; a gerund, a
    participle or a coordinated verb the subject of its governor."""
    own = _kids(p, v, _SUBJECT + _PASSIVE_SUBJECT)
    if own or depth >= _MAX_DEPTH:
        return own
    t = p.toks[v]
    if t.head == v:
        return []
    if t.dep == "xcomp":
        objects = [o for o in _kids(p, t.head, ("obj",)) if fold(p.toks[o].lemma) != "se"]
        return objects or _grammatical_subject(p, t.head, rules, depth + 1)
    if t.dep in ("advcl", "conj"):
        return _grammatical_subject(p, t.head, rules, depth + 1)
    return []


def _agents(p: _Parse, v: int, rules: RelationRules) -> list[int]:
    """Who does what the verb says: the "par" agent of a passive."""
    if _is_passive(p, v, rules):
        return [a for a in _kids(p, v, ("obl:agent",)) if _case(p, a) in rules.passive_agent_cases]
    return _grammatical_subject(p, v, rules)


def _patients(p: _Parse, v: int, rules: RelationRules) -> list[int]:
    """Who undergoes a passive verb: its subject, the noun a participle
    modifies ("le pays visité par ..."), or its governor's subject."""
    own = _kids(p, v, _PASSIVE_SUBJECT)
    if own:
        return own
    t = p.toks[v]
    if t.dep == "acl":
        return [t.head]
    if t.dep == "advcl":
        return _grammatical_subject(p, t.head, rules)
    return []


def _prepositional(p: _Parse, tokens: Iterable[int], cases: frozenset[str]) -> list[int]:
    return [i for i in tokens if _case(p, i) in cases]


# -------------------------------------------------------------- predicates


def _verb_predicate(p: _Parse, v: int, rules: RelationRules) -> tuple[str, str] | None:
    """(predicate, relation type) of a verb; unmapped lemmas only with
    `keep_unmapped`, typed by the upper-cased lemma."""
    mapped = _mapped_predicate(p, v, rules)
    if mapped or not rules.keep_unmapped:
        return mapped
    lemma = p.toks[v].lemma.lower()
    return lemma, lemma.upper()


def _mapped_predicate(p: _Parse, v: int, rules: RelationRules) -> tuple[str, str] | None:
    """The listed form of a verb: "se rendre" and "rendre visite" before the
    bare lemma."""
    lemma = p.toks[v].lemma.lower()
    kids = [p.toks[c] for c in p.children.get(v, ())]
    forms = []
    if any((k.dep.startswith("expl") or k.dep in ("obj", "iobj")) and fold(k.lemma) == "se" for k in kids):
        forms.append(_reflexive(lemma))
    forms += [f"{lemma} {k.lemma.lower()}" for k in kids if k.dep in ("obj", "xcomp") and k.pos == "NOUN"]
    forms.append(lemma)
    for form in forms:
        kind = rules.types.get(_lemma_key(form))
        if kind:
            return form, kind
    return None


def _negated(p: _Parse, v: int, rules: RelationRules) -> bool:
    """ "n'a pas rencontré", "ne fournit plus", "n'a jamais"; not "ne ... que"."""
    kids = [p.toks[c] for c in p.children.get(v, ())]
    words = {fold(k.text) for k in kids} | {fold(k.lemma) for k in kids}
    adverbs = {fold(k.lemma) for k in kids if k.dep == "advmod"}
    if adverbs & rules.negation_words:
        return True
    has_ne = bool(words & rules.negation_particles)
    if has_ne and words & rules.negation_with_ne:
        return True
    return has_ne and not _restrictive_que(p, v)


def _restrictive_que(p: _Parse, v: int) -> bool:
    """ "n'a rencontré que Kim": a "que" after the verb, on it or one of its arguments."""
    near = [v, *p.children.get(v, ())]
    return any(
        fold(p.toks[q].lemma) == "que" and q > v and p.toks[q].dep in ("mark", "advmod", "fixed")
        for i in near
        for q in p.children.get(i, ())
    )


def _inherited_negation(p: _Parse, v: int, rules: RelationRules) -> bool:
    """An infinitive under an unmapped governor shares its negation
    ("ne peut pas visiter")."""
    t = p.toks[v]
    if t.dep != "xcomp" or t.head == v:
        return False
    return _mapped_predicate(p, t.head, rules) is None and _negated(p, t.head, rules)


# --------------------------------------------------------------- patterns


@dataclass(frozen=True)
class _Found:
    """A relation before it becomes a record."""

    subjects: tuple[Mention, ...]
    kind: str
    predicate: str
    objects: tuple[Mention, ...]
    negated: bool


def _verb_relation(p: _Parse, v: int, rules: RelationRules) -> _Found | None:
    """Subject, type and objects of a verb (active or passive)."""
    found = _verb_predicate(p, v, rules)
    if found is None:
        return None
    predicate, kind = found
    cases = rules.object_cases.get(kind, frozenset())
    excluded = rules.excluded_objects.get(kind, frozenset())
    passive = _is_passive(p, v, rules)
    direct = _patients(p, v, rules) if passive else [o for o in _kids(p, v, ("obj",)) if fold(p.toks[o].lemma) != "se"]
    if any(fold(p.toks[o].lemma) in excluded for o in direct):
        return None  # "envoyer un message à Washington" is not a delivery
    obliques = _kids(p, v, _OBLIQUES if not passive else ("obl", "obl:arg", "obl:mod"))
    objects = _resolve(p, _prepositional(p, obliques, cases), rules)
    # the complement of a direct object: "signer un accord avec la Chine"
    for o in direct:
        if not _mentions_at(p, o):
            objects += _resolve(p, _prepositional(p, _kids(p, o, ("nmod",)), cases), rules)
    if kind not in rules.theme_types:
        objects = _resolve(p, direct, rules) + objects
    negated = _negated(p, v, rules) or _inherited_negation(p, v, rules)
    subjects = _resolve(p, _agents(p, v, rules), rules)
    return _Found(tuple(subjects), kind, predicate, tuple(objects), negated)


def _noun_relation(p: _Parse, n: int, rules: RelationRules) -> _Found | None:
    """ "la visite de Poutine en Corée du Nord", "les sanctions américaines
    contre la Russie", "Poutine a entamé une visite en Corée du Nord"."""
    t = p.toks[n]
    kind = rules.types.get(_lemma_key(t.lemma))
    if kind is None:
        return None
    cases = rules.object_cases.get(kind, frozenset())
    nmods = _kids(p, n, ("nmod",))
    agent_tokens = _prepositional(p, nmods, rules.agent_cases) + _kids(p, n, ("amod",))
    # "la visite de Poutine en Corée": the place is often hung on the agent
    places = nmods + [c for a in agent_tokens for c in _kids(p, a, ("nmod",))]
    objects = _resolve(p, _prepositional(p, places, cases), rules)
    subjects = _resolve(p, agent_tokens, rules)
    light = _light_verb(p, n, rules)
    if not subjects and light is not None:
        subjects = _resolve(p, _agents(p, light, rules), rules)
        objects += _resolve(p, _prepositional(p, _kids(p, light, _OBLIQUES), cases), rules)
    return _Found(tuple(subjects), kind, t.lemma.lower(), tuple(objects), False)


def _light_verb(p: _Parse, n: int, rules: RelationRules) -> int | None:
    """The verb a predicate noun depends on when that verb only carries it
    ("entamer une visite", "apporter son soutien")."""
    t = p.toks[n]
    governor = p.toks[t.head]
    if t.head == n or governor.pos not in ("VERB", "AUX"):
        return None
    if t.dep not in ("obj", "nsubj:pass", "conj", *_OBLIQUES):
        return None
    return t.head if fold(governor.lemma) in rules.light_verbs else None


def _between(p: _Parse, n: int, rules: RelationRules) -> list[Mention]:
    """The sides named by "entre X et Y" after a noun, or by a compound
    without preposition ("le sommet Poutine-Kim")."""
    nmods = _kids(p, n, ("nmod",))
    sides = _resolve(p, _prepositional(p, nmods, rules.between_cases), rules)
    if len(sides) > 1:
        return sides
    return _resolve(p, _prepositional(p, nmods, frozenset({""})), rules)


def _appositions(p: _Parse, person: Mention, rules: RelationRules) -> list[_Found]:
    """ "Jens Stoltenberg, secrétaire général de l'Otan", "le président russe
    Vladimir Poutine": the organisations and states the noun in apposition
    names (a comma-coordinated noun counts: the parser often reads
    "le porte-parole du Kremlin, Dmitri Peskov" as a coordination)."""
    out = []
    for h in p.head_tokens.get(person, ()):
        for noun in _apposed_nouns(p, h):
            groups = [m for m in _group_mentions(p, noun) if _is_group(m, rules)]
            if groups:
                out.append(_Found((person,), rules.appos_relation, "appos", tuple(groups), False))
    return out


def _apposed_nouns(p: _Parse, h: int) -> list[int]:
    t = p.toks[h]
    candidates = _kids(p, h, ("appos",))
    if t.dep == "appos" and t.head != h:
        candidates.append(t.head)
    candidates += [c for c in _kids(p, h, ("conj",)) if not _kids(p, c, ("cc",))]
    if t.dep == "conj" and t.head != h and not _kids(p, h, ("cc",)):
        candidates.append(t.head)
    return [c for c in candidates if c not in p.in_name and p.toks[c].pos != "PROPN"]


def _group_mentions(p: _Parse, noun: int) -> list[Mention]:
    """Mentions among the noun's complements and adjectives, nearest first:
    "de l'Otan", "russe", "adjoint américain"."""
    level = [noun]
    for _ in range(2):
        level = [c for i in level for c in _kids(p, i, ("nmod", "amod", "appos"))]
        found = [m for i in level for m in _mentions_at(p, i)]
        if found:
            return found
    return []


def _is_group(m: Mention, rules: RelationRules) -> bool:
    return m.label in rules.group_labels or bool(m.refers_to)


# -------------------------------------------------------------- records


def _same(a: Mention, b: Mention) -> bool:
    """Two mentions of one entity, a capital and its state included."""
    ids_a = {a.entity_id, a.refers_to} - {""}
    ids_b = {b.entity_id, b.refers_to} - {""}
    return bool(ids_a & ids_b)


def _pairs(found: _Found, rules: RelationRules) -> list[tuple[Mention, Mention]]:
    """(subject, object) pairs of a relation; conjoined subjects of a
    symmetric relation without object relate to each other."""
    if found.objects:
        return [(s, o) for s in found.subjects for o in found.objects]
    if found.kind in rules.symmetric:
        subjects = found.subjects
        return [(a, b) for k, a in enumerate(subjects) for b in subjects[k + 1 :]]
    return []


def _sentence_finds(p: _Parse, first: int, last: int, people: list[Mention], rules: RelationRules) -> list[_Found]:
    """Every relation pattern found on the tokens first..last-1."""
    out: list[_Found] = []
    for i in p.predicates[bisect_left(p.predicates, first) : bisect_left(p.predicates, last)]:
        if p.toks[i].pos in _VERBS:
            found = _verb_relation(p, i, rules)
        else:
            found = _noun_relation(p, i, rules)
            if found and found.kind in rules.symmetric:
                sides = _between(p, i, rules)
                if len(sides) > 1:
                    out.append(_Found(tuple(sides), found.kind, found.predicate, (), False))
        if found:
            out.append(found)
    for person in people:
        out += _appositions(p, person, rules)
    return out


def extract_relations(
    ann: AnnotatedArticle, mentions: Sequence[Mention], raw_text: str, rules: RelationRules
) -> list[Relation]:
    """Typed relations between the linked mentions of one article.

    A relation links two different entities (a capital and the state it
    stands for count as one); identical rows of a sentence are kept once,
    and a symmetric relation once whichever way round. Unmapped verbs give
    relations only with `rules.keep_unmapped` (typed by their upper-cased
    lemma); unmapped nouns never do.
    """
    p = _build_parse(ann, mentions, rules)
    people: dict[int, list[Mention]] = {}  # sentence id -> the persons named in it
    for m in mentions:
        if m.kind == "name" and m.label in rules.person_labels:
            people.setdefault(m.sentence_id, []).append(m)
    out: list[Relation] = []
    seen: set[tuple] = set()
    for sent in ann.sentences:
        evidence = raw_text[sent.start : sent.end]
        in_sentence = people.get(sent.sentence_id, [])
        for found in _sentence_finds(p, sent.token_start, sent.token_end, in_sentence, rules):
            for subject, obj in _pairs(found, rules):
                if _same(subject, obj):
                    continue
                key = _key(sent.sentence_id, subject.entity_id, found.kind, obj.entity_id, found.negated, rules)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    Relation(
                        doc_id=ann.doc_id,
                        sentence_id=sent.sentence_id,
                        subject=subject.entity_id,
                        relation=found.kind,
                        predicate=found.predicate,
                        object=obj.entity_id,
                        negated=found.negated,
                        evidence=evidence,
                    )
                )
    return out


def _key(sentence_id: int, subject: str, kind: str, obj: str, negated: bool, rules: RelationRules) -> tuple:
    if kind in rules.symmetric:
        subject, obj = sorted((subject, obj))
    return (sentence_id, subject, kind, obj, negated)
