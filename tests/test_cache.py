"""The safe per-article cache: checked msgpack entries, never code, never an
exception out of `get`, real files in tmp_path."""

from __future__ import annotations

import hashlib
import os
import pickle
import struct
from dataclasses import replace
from pathlib import Path

import pytest
import srsly

from pipeline.records import (
    AnnotatedArticle,
    Article,
    ArticleResult,
    Block,
    BlockRow,
    CleanArticle,
    DocumentRow,
    Mention,
    NerSpan,
    Relation,
    Sentence,
    SentenceRow,
    Token,
)
from pipeline.stages.annotate import annotate
from pipeline.store.cache import (
    FORMAT_VERSION,
    Cache,
    CacheEntryError,
    PreparedArticle,
    annotation_cache,
    article_key,
    cache_key,
    decode,
    derived_key,
    encode,
    prepared_cache,
    result_cache,
)

RAW = (
    "Titre : Poutine à Pyongyang\n\n"
    "    Vladimir Poutine a rencontré Kim Jong-un mardi à Pyongyang. "
    "Les deux dirigeants ont signé un accord de défense mutuelle.\n"
)
KEY = "ab" * 32
OTHER_KEY = "cd" * 32


def _article(doc_id: str = "d") -> CleanArticle:
    first, second = RAW.index("Titre"), RAW.index("Vladimir")
    return CleanArticle(
        Article(doc_id, "", "", "", "", RAW),
        (
            Block("heading", RAW[first : RAW.index("\n")], first, RAW.index("\n")),
            Block("paragraph", RAW[second:].rstrip("\n"), second, len(RAW.rstrip("\n"))),
        ),
    )


@pytest.fixture(scope="module")
def annotated(nlp) -> AnnotatedArticle:
    [(_, ann)] = list(annotate([_article()], nlp, batch_size=4))
    assert ann.tokens and ann.sentences and ann.entities
    return ann


def _result() -> ArticleResult:
    return ArticleResult(
        document=DocumentRow("d", "in/caf\udce9.txt", "Poutine à Pyongyang", "2024-06-19", "", 120, 2, 3, "ok", ""),
        blocks=(BlockRow("d", 0, "heading", 0, 27), BlockRow("d", 1, "paragraph", 33, 120)),
        sentences=(SentenceRow("d", 0, 0, 0, 27), SentenceRow("d", 1, 1, 33, 92)),
        mentions=(
            Mention("d", 1, 33, 49, "Vladimir Poutine", "PER", "Q7747", "name", "kb", ""),
            Mention("d", 1, 63, 74, "Kim Jong-un", "PER", "Q56226", "name", "kb", ""),
            Mention("d", 1, 84, 93, "Pyongyang", "LOC", "Q18808", "name", "kb", "Q423"),
        ),
        relations=(Relation("d", 1, "Q7747", "MEET", "rencontrer", "Q56226", False, "Vladimir Poutine a rencontré"),),
        evidence=((1, "Vladimir Poutine a rencontré Kim Jong-un mardi à Pyongyang."),),
    )


def _prepared() -> PreparedArticle:
    article = _article()
    # shingles are 64-bit hashes: the largest must survive msgpack's uint64
    return PreparedArticle("d", True, "", 0.0, article.blocks, (7, 2**40, 2**64 - 1))


def _raw_entry(payload: bytes) -> bytes:
    """An entry with a valid header (magic, version, length, checksum) around any payload bytes."""
    return (
        struct.pack("<8sIQ32s", b"PGCACHE\0", FORMAT_VERSION, len(payload), hashlib.sha256(payload).digest()) + payload
    )


def _entry(value: object) -> bytes:
    """A valid entry of any msgpack value."""
    return _raw_entry(srsly.msgpack_dumps(value))


def _plant(cache: Cache, key: str, data: bytes) -> Path:
    path = cache.path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _cache(tmp_path: Path, kind: type = AnnotatedArticle) -> tuple[Cache, list[str]]:
    warnings: list[str] = []
    return Cache(tmp_path / "cache", kind, warn=warnings.append), warnings


# ------------------------------------------------------------ round trips


def test_real_annotations_round_trip_through_the_folder(annotated, tmp_path):
    cache = annotation_cache(tmp_path)
    assert cache.get(KEY) is None and cache.misses == 1
    cache.put(KEY, annotated)
    assert cache.path(KEY) == tmp_path / "annotations" / "ab" / f"{KEY}.msgpack"
    again = annotation_cache(tmp_path).get(KEY)
    assert again == annotated
    assert type(again.tokens) is tuple and type(again.tokens[0]) is Token
    assert type(again.sentences[0]) is Sentence and type(again.entities[0]) is NerSpan
    assert decode(encode(annotated), AnnotatedArticle) == annotated
    # only the entry is left in the folder: no temporary file
    assert [p.name for p in (tmp_path / "annotations").rglob("*") if p.is_file()] == [f"{KEY}.msgpack"]


def test_article_result_round_trips_with_exact_types(tmp_path):
    result = _result()
    cache = result_cache(tmp_path)
    cache.put(KEY, result)
    again = result_cache(tmp_path).get(KEY)
    assert again == result and cache.path(KEY).parent.parent == tmp_path / "articles"
    assert type(again.document) is DocumentRow and type(again.mentions[0]) is Mention
    assert again.relations[0].negated is False and type(again.evidence[0]) is tuple
    assert again.document.source == "in/caf\udce9.txt"  # a file name's undecodable byte survives


def test_a_prepared_article_round_trips_with_exact_types(tmp_path):
    prepared = _prepared()
    cache = prepared_cache(tmp_path)
    cache.put(KEY, prepared)
    again = prepared_cache(tmp_path).get(KEY)
    assert again == prepared and cache.path(KEY).parent.parent == tmp_path / "prepared"
    assert type(again.blocks[0]) is Block and again.shingles[-1] == 2**64 - 1
    skipped = PreparedArticle("e", False, "en", 0.99, (), ())
    assert decode(encode(skipped), PreparedArticle) == skipped


@pytest.mark.parametrize(
    "entry",
    [
        ["d", True, "", 0.0, [], [1, "2"]],  # a str among the shingles
        ["d", 1, "", 0.0, [], []],  # an int for the verdict
        ["d", True, "", 0.0, [["paragraph", "texte", 0]], []],  # a block of three fields
        ["d", True, "", 0.0, []],  # no shingles
    ],
    ids=["str shingle", "int verdict", "short block", "no shingles"],
)
def test_a_corrupt_prepared_entry_is_a_miss_reported_once(entry, tmp_path):
    cache, warnings = _cache(tmp_path, PreparedArticle)
    _plant(cache, KEY, _entry(entry))
    _plant(cache, OTHER_KEY, encode(_prepared())[:-1])  # truncated
    assert cache.get(KEY) is None and cache.get(OTHER_KEY) is None
    assert (cache.hits, cache.misses, cache.corrupt, len(warnings)) == (0, 2, 2, 1)
    cache.put(KEY, _prepared())
    assert cache.get(KEY) == _prepared()


def test_an_entry_encoded_elsewhere_is_stored_with_put_bytes(annotated, tmp_path):
    data = encode(annotated)  # in a worker process
    cache, warnings = _cache(tmp_path)
    cache.put_bytes(KEY, data)
    assert cache.get(KEY) == annotated and (cache.hits, warnings) == (1, [])
    with pytest.raises(ValueError, match="not a cache entry"):
        cache.put_bytes(KEY, b"\x80\x04pickle")


def test_read_false_ignores_entries_but_still_writes(annotated, tmp_path):
    annotation_cache(tmp_path).put(KEY, annotated)
    forced = annotation_cache(tmp_path, read=False)
    assert forced.get(KEY) is None and (forced.hits, forced.misses) == (0, 1)
    forced.put(OTHER_KEY, annotated)
    assert annotation_cache(tmp_path).get(OTHER_KEY) == annotated


def test_a_record_of_the_other_kind_is_refused(annotated, tmp_path):
    with pytest.raises(TypeError, match="holds ArticleResult records, not AnnotatedArticle"):
        result_cache(tmp_path).put(KEY, annotated)


# ---------------------------------------------------------------- safety


class _RunsCode:
    """Unpickling this runs a shell command."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_planted_pickle_is_a_miss_and_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps(_RunsCode(marker))
    cache, warnings = _cache(tmp_path)
    path = _plant(cache, KEY, evil)
    (path.parent / f"{KEY}.pkl").write_bytes(evil)  # where the old cache kept it
    assert cache.get(KEY) is None
    assert not marker.exists()
    assert (cache.corrupt, cache.misses, len(warnings)) == (1, 1, 1)
    assert str(path) in warnings[0]


def _str_in_int_field(annotated: AnnotatedArticle) -> list:
    tokens = [list(t) for t in annotated.tokens]
    tokens[-1][6] = "0"  # head
    return [annotated.doc_id, [list(s) for s in annotated.sentences], tokens, [list(e) for e in annotated.entities]]


CORRUPT = {
    "truncated": lambda data, ann: data[: len(data) // 2],
    "header only, cut": lambda data, ann: data[:20],
    "empty file": lambda data, ann: b"",
    "flipped byte": lambda data, ann: data[:-10] + bytes([data[-10] ^ 0x01]) + data[-9:],
    "declares 10**15 bytes": lambda data, ann: data[:12] + struct.pack("<Q", 10**15) + data[20:],
    "another magic": lambda data, ann: b"PICKLE!\0" + data[8:],
    "another version": lambda data, ann: data[:8] + struct.pack("<I", FORMAT_VERSION + 1) + data[12:],
    "not msgpack": lambda data, ann: _raw_entry(b"\xc1"),  # the one byte msgpack never uses
    "more than one value": lambda data, ann: _raw_entry(srsly.msgpack_dumps(["d", [], [], []]) + b"\x00"),
    "nil": lambda data, ann: _entry(None),
    "a dict": lambda data, ann: _entry({"doc_id": "d", "tokens": []}),
    "a list of the wrong length": lambda data, ann: _entry(["d", [], []]),
    "a token of the wrong length": lambda data, ann: _entry(["d", [], [[0, 1, "a"]], []]),
    "a str in an int field": lambda data, ann: _entry(_str_in_int_field(ann)),
    "a bool in an int field": lambda data, ann: _entry(["d", [], [], [[0, True, "PER"]]]),
    "trailing bytes": lambda data, ann: _entry(["d", [], [], []]) + b"\x00",
}


@pytest.mark.parametrize("damage", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_entry_is_a_miss_counted_and_reported(damage, annotated, tmp_path):
    data = damage(encode(annotated), annotated)
    with pytest.raises(CacheEntryError):
        decode(data, AnnotatedArticle)
    cache, warnings = _cache(tmp_path)
    path = _plant(cache, KEY, data)
    assert cache.get(KEY) is None
    assert (cache.hits, cache.misses, cache.corrupt) == (0, 1, 1)
    assert len(warnings) == 1 and str(path) in warnings[0] and warnings[0].startswith("pressgraph: ignoring corrupt")


def test_many_corrupt_entries_warn_once_and_are_replaced_by_put(annotated, tmp_path):
    cache, warnings = _cache(tmp_path)
    good = encode(annotated)
    keys = [f"{i:02x}" * 32 for i in range(len(CORRUPT))]
    for key, damage in zip(keys, CORRUPT.values()):
        _plant(cache, key, damage(good, annotated))
    assert [cache.get(key) for key in keys] == [None] * len(keys)
    assert cache.corrupt == len(keys) and len(warnings) == 1
    cache.put(keys[0], annotated)
    assert cache.get(keys[0]) == annotated and cache.hits == 1


def test_the_default_warning_is_one_line_on_stderr(tmp_path, capsys):
    cache = Cache(tmp_path, AnnotatedArticle)
    for key in (KEY, OTHER_KEY):
        _plant(cache, key, b"junk")
        assert cache.get(key) is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("pressgraph: ignoring corrupt cache entry")


def test_a_cache_folder_that_cannot_be_made_warns_once_and_goes_on(annotated, tmp_path):
    # a regular file where the folder should be: mkdir fails even as root (chmod would not stop root)
    blocked = tmp_path / "cache"
    blocked.write_text("not a folder")
    warnings: list[str] = []
    cache = annotation_cache(blocked, warn=warnings.append)
    cache.put(KEY, annotated)
    cache.put(OTHER_KEY, annotated)
    cache.put_bytes(OTHER_KEY, encode(annotated))
    assert len(warnings) == 1 and warnings[0].startswith(f"pressgraph: cannot write the cache under {blocked}")
    assert warnings[0].endswith("going on without it")
    assert cache.get(KEY) is None and blocked.read_text() == "not a folder"


@pytest.mark.parametrize(
    "key",
    ["../" + KEY, KEY[:10] + "/" + KEY[10:], "..", KEY.upper(), KEY + "\n", "", "ab", "zz" * 32, "/tmp/" + KEY, None],
)
def test_a_key_that_is_not_hex_is_refused(key, annotated, tmp_path):
    cache, warnings = _cache(tmp_path)
    with pytest.raises(ValueError, match="lowercase hex"):
        cache.put(key, annotated)
    with pytest.raises(ValueError, match="lowercase hex"):
        cache.put_bytes(key, encode(annotated))
    assert cache.get(key) is None and (cache.misses, cache.corrupt, warnings) == (1, 0, [])
    assert not any(tmp_path.rglob("*"))


# ------------------------------------------------------------------- keys


def test_keys_follow_the_blocks_and_the_signature():
    key = cache_key(_article(), "model|{}")
    assert key == cache_key(_article(), "model|{}") and len(key) == 64 and int(key, 16) >= 0
    assert key != cache_key(_article(), "other|{}") and key != cache_key(_article("e"), "model|{}")
    assert derived_key(key, "kb") != derived_key(key, "kb2") and len(derived_key(key, "kb")) == 64


def test_article_keys_follow_every_field_of_the_article_and_the_signature():
    article = _article().article
    key = article_key(article, "rules")
    assert key == article_key(article, "rules") and len(key) == 64
    assert key != article_key(article, "edited rules")
    for name, value in [
        ("doc_id", "e"),
        ("source", "a.txt"),
        ("title", "Titre"),
        ("date", "2024-06-19"),
        ("url", "https://x"),
        ("raw_text", article.raw_text + " "),
        ("offsets_in_file", True),
    ]:
        assert article_key(replace(article, **{name: value}), "rules") != key, name
    # fields are delimited by their length: moving text from one field to the next changes the key
    assert article_key(replace(article, title="ab", date=""), "") != article_key(
        replace(article, title="a", date="b"), ""
    )


def test_a_field_that_is_not_a_plain_value_cannot_be_encoded():
    odd = AnnotatedArticle("d", (), (Token(0, 1, "a", "a", "X", "dep", object(), 0),), ())
    with pytest.raises(TypeError, match="cannot cache a field holding object"):
        encode(odd)
    with pytest.raises(TypeError, match="cannot cache a CleanArticle"):
        encode(_article())


def test_something_else_than_a_file_at_an_entry_path_is_a_miss(tmp_path):
    cache, warnings = _cache(tmp_path)
    pipe = cache.path(KEY)
    pipe.parent.mkdir(parents=True)
    os.mkfifo(pipe)  # opening it for reading would wait for a writer forever
    cache.path(OTHER_KEY).mkdir(parents=True)  # a folder
    assert cache.get(KEY) is None and cache.get(OTHER_KEY) is None
    assert (cache.misses, cache.corrupt, len(warnings)) == (2, 2, 1)
