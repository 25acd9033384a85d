"""Per-article caches that never run code: checked msgpack entries of plain values.

Three levels, each a folder of entries keyed by a content hash:

- prepared articles (`PreparedArticle`: the language check, the cleaned
  blocks and the shingles that find copies): key = every field of the
  article as read (its raw text, source, title...) and a signature of the
  boilerplate rules, the settings and the code of ingest and clean. A
  re-run then neither checks the language nor cleans an unchanged article.
- annotations (`AnnotatedArticle`): key = the cleaned blocks of the article,
  the model's name, version and components, and the annotate settings.
  Changing the knowledge base, the linking rules or the relation settings
  does not change it, so such runs never call the model again.
- article results (`ArticleResult`: mentions, relations, sentence rows): key
  = the annotation key, plus the knowledge base, the rule files, the
  settings and the source of the code that links and extracts relations. An
  unchanged article is then neither annotated nor linked again.

A cache folder may be shared, so an entry is data, never code (pickle would
run whatever a crafted file asks for). An entry file is a fixed header,

    magic b"PGCACHE\\0" | FORMAT_VERSION (uint32) | payload length (uint64)
    | sha256 of the payload (32 bytes)        -- little-endian, 52 bytes

then the payload: msgpack of plain values (lists, ints, strs, bools, floats).
A record is the list of its field values in field order, nested records and
tuples likewise. Decoding checks the header, the length (against the file
size, before reading), the checksum, and the shape and type of every field
against the record annotations; any mismatch makes the entry a miss.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import os
import re
import stat
import struct
import sys
import tempfile
import threading
import typing
from collections.abc import Callable
from functools import partial
from itertools import chain, starmap
from operator import attrgetter
from pathlib import Path
from typing import Any

import srsly.msgpack

from pipeline.records import AnnotatedArticle, Article, ArticleResult, Block, CleanArticle

# Bump when the layout of the cached records or the way they are built changes
# (it is part of every key, and of every entry's header). 3 was the pickle cache.
FORMAT_VERSION = 4

MAGIC = b"PGCACHE\0"
SUFFIX = ".msgpack"
_HEADER = struct.Struct("<8sIQ32s")  # magic, version, payload length, sha256 of the payload
HEADER_SIZE = _HEADER.size
_KEY = re.compile(r"[0-9a-f]{16,128}")  # hex digests; nothing that could name another folder


# The largest payload an entry may declare: a 5 MB article's annotations take
# about 35 MB, so this is far above any real entry.
MAX_PAYLOAD = 2**30


class CacheEntryError(ValueError):
    """A cache entry that is not a valid entry of the expected record type."""


@dataclasses.dataclass(frozen=True)
class PreparedArticle:
    """What an article becomes before the model: the first level of the cache.

    An article skipped as not French has no blocks and no shingles.
    """

    doc_id: str
    french: bool  # False: skipped as not French
    language: str  # the language found when not French ("" when not checked or French)
    confidence: float  # its probability
    blocks: tuple[Block, ...]  # as `clean` gives them
    shingles: tuple[int, ...]  # `ingest.shingles` of the blocks' text, sorted


# ------------------------------------------------------------------ keys


def article_key(article: Article, signature: str) -> str:
    """Hash of every field of an article as read and of the ingest/clean signature."""
    h = hashlib.sha256(f"{FORMAT_VERSION}\0{signature}\0".encode())
    for name in _ARTICLE_FIELDS:
        value = str(getattr(article, name))
        h.update(f"{len(value)}:{value}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


_ARTICLE_FIELDS = [f.name for f in dataclasses.fields(Article)]


def cache_key(article: CleanArticle, signature: str) -> str:
    """Hash of an article's blocks and the model/settings signature."""
    h = hashlib.sha256()
    h.update(f"{FORMAT_VERSION}\0{signature}\0{article.doc_id}\0".encode())
    for block in article.blocks:
        h.update(f"{block.kind}\0{block.raw_start}\0{block.raw_end}\0{block.text}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def derived_key(key: str, signature: str) -> str:
    """The key of a later level: an earlier key and what that level also depends on."""
    return hashlib.sha256(f"{key}\0{signature}".encode()).hexdigest()


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(f"cache key {key!r} is invalid; a key is 16 to 128 lowercase hex digits")
    return key


# ----------------------------------------------------- records <-> plain values
#
# A codec is compiled once per record type from its annotations. Decoding is
# the hot path (every article of every run), so it avoids a Python call per
# field: a sequence of records whose fields are all scalars (tokens,
# sentences, mentions) is checked at once, comparing the types of all its
# values with the expected pattern, and named tuples are built by
# `tuple.__new__`. msgpack arrays are unpacked as tuples (`_ARRAY`).

_ARRAY = tuple
_SCALARS = (int, str, bool, float)
# the types msgpack gives back for a field of each scalar type (a bool is not an int here)
_ACCEPTED = {int: {int}, str: {str}, bool: {bool}, float: {float, int}}


class _Codec(typing.NamedTuple):
    plain: Callable[[Any], Any] | None  # value -> plain values (None: msgpack takes it as it is)
    one: Callable[[Any], Any]  # unpacked value -> value, checked
    many: Callable[[Any], tuple]  # unpacked array of values -> tuple of values, checked
    name: str


def _bad(what: str, value: Any) -> CacheEntryError:
    text = repr(value)
    return CacheEntryError(f"{what}, got {type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}")


def _fields(hint: Any) -> tuple[type, list[str], list[Any]] | None:
    """(record type, field names, field hints) of a dataclass or named tuple, else None."""
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        names = [f.name for f in dataclasses.fields(hint)]
    elif isinstance(hint, type) and issubclass(hint, tuple) and hasattr(hint, "_fields"):
        names = list(hint._fields)
    else:
        return None
    hints = typing.get_type_hints(hint)
    return hint, names, [hints[name] for name in names]


def _compile(hint: Any) -> _Codec:
    if hint in _SCALARS:
        return _scalar_codec(hint)
    record = _fields(hint)
    if record is not None:
        return _record_codec(*record)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence_codec(_compile(args[0]))
    if origin is tuple and args and Ellipsis not in args:
        return _record_codec(tuple, [f"item {i}" for i in range(len(args))], list(args))
    raise TypeError(f"the cache cannot store a field of type {hint!r}; allowed: int, str, bool, float, records, tuples")


def _scalar_codec(kind: type) -> _Codec:
    accepted = _ACCEPTED[kind]

    def one(value: Any) -> Any:
        if type(value) not in accepted:
            raise _bad(f"expected {kind.__name__}", value)
        return value

    def many(values: Any) -> tuple:
        if type(values) is not _ARRAY or not set(map(type, values)) <= accepted:
            raise _bad(f"expected an array of {kind.__name__}", values)
        return values

    return _Codec(None, one, many, kind.__name__)


def _record_codec(cls: type, names: list[str], hints: list[Any]) -> _Codec:
    codecs = [_compile(h) for h in hints]
    n = len(names)
    label = cls.__name__ if cls is not tuple else f"tuple[{', '.join(h.__name__ for h in hints)}]"
    is_tuple = issubclass(cls, tuple)
    flat = all(h in _SCALARS for h in hints)
    exact = flat and float not in hints  # every field has one accepted type: check by pattern
    pattern = [*hints]

    # encoding: tuples (named or not) of plain values go to msgpack as they are
    get = None if is_tuple else attrgetter(*names) if n > 1 else lambda record: (getattr(record, names[0]),)
    if flat:
        plain = None if is_tuple else get
    else:
        convert = [c.plain for c in codecs]

        def plain(record: Any) -> list:
            values = record if is_tuple else get(record)
            return [v if f is None else f(v) for f, v in zip(convert, values)]

    if cls is tuple:
        build = None  # unpacked arrays are tuples already
    elif is_tuple:
        build = partial(map, partial(tuple.__new__, cls))
    else:
        build = partial(starmap, cls)

    def where(rows: tuple) -> str:
        for i, kind in enumerate(hints):
            for row in rows:
                if type(row[i]) not in _ACCEPTED[kind]:
                    return f"{label} {names[i]}: expected {kind.__name__}, got {type(row[i]).__name__} {row[i]!r:.40}"
        return label

    def many(rows: Any) -> tuple:
        if type(rows) is not _ARRAY:
            raise _bad(f"expected an array of {label}", rows)
        if not rows:
            return ()
        if set(map(type, rows)) != {_ARRAY}:
            raise _bad(f"expected an array of {label}", rows)
        if set(map(len, rows)) != {n}:
            raise CacheEntryError(f"{label}: expected {n} fields, got {sorted(set(map(len, rows)))}")
        if not flat:
            return tuple(map(one, rows))
        if exact:
            if list(map(type, chain.from_iterable(rows))) != pattern * len(rows):
                raise CacheEntryError(where(rows))
        elif not all(set(map(type, column)) <= _ACCEPTED[kind] for column, kind in zip(zip(*rows), hints)):
            raise CacheEntryError(where(rows))
        return rows if build is None else tuple(build(rows))

    def one(row: Any) -> Any:
        if flat:
            return many((row,))[0]
        if type(row) is not _ARRAY or len(row) != n:
            raise _bad(f"expected {label} ({n} fields)", row)
        values = [c.one(v) for c, v in zip(codecs, row)]
        return tuple(values) if cls is tuple else tuple.__new__(cls, values) if is_tuple else cls(*values)

    return _Codec(plain, one, many, label)


def _sequence_codec(item: _Codec) -> _Codec:
    if item.plain is None:
        plain = None
    else:
        convert = item.plain

        def plain(values: tuple) -> list:
            return list(map(convert, values))

    def many(values: Any) -> tuple:
        if type(values) is not _ARRAY:
            raise _bad(f"expected an array of tuple[{item.name}, ...]", values)
        return tuple(map(item.many, values))

    return _Codec(plain, item.many, many, f"tuple[{item.name}, ...]")


_CODECS: dict[type, _Codec] = {kind: _compile(kind) for kind in (PreparedArticle, AnnotatedArticle, ArticleResult)}


# ----------------------------------------------------------------- bytes
#
# srsly.msgpack's `dumps`/`loads` (and srsly.msgpack_dumps/_loads) look up
# every registered numpy/entry-point hook at each call (about 0.3 ms) and let
# those hooks turn maps into objects. A packer is made once per thread, and
# entries are unpacked with maps and ext types refused outright: a payload is
# lists and scalars only.

_local = threading.local()


def _packer(errors: str | None = None) -> srsly.msgpack.Packer:
    name = f"packer_{errors}"
    packer = getattr(_local, name, None)
    if packer is None:
        packer = srsly.msgpack.Packer(use_bin_type=True, unicode_errors=errors, default=_refuse_object)
        setattr(_local, name, packer)
    return packer


def _refuse_object(value: Any) -> Any:
    raise TypeError(f"cannot cache a field holding {type(value).__name__} {value!r:.60}; fields hold plain values")


def _refuse_map(pairs: Any) -> Any:
    raise CacheEntryError("a map where only lists and scalars are allowed")


def _refuse_ext(code: int, data: bytes) -> Any:
    raise CacheEntryError(f"a msgpack extension type ({code}) where only lists and scalars are allowed")


def _pack(value: Any) -> bytes:
    try:
        return _packer().pack(value)
    except UnicodeEncodeError:  # a lone surrogate (undecodable byte in a file name, say): kept as pickle kept it
        return _packer("surrogatepass").pack(value)


def encode(record: PreparedArticle | AnnotatedArticle | ArticleResult) -> bytes:
    """A cache entry for `record`: header + payload."""
    codec = _CODECS.get(type(record))
    if codec is None:
        raise TypeError(f"cannot cache a {type(record).__name__}; allowed: {', '.join(k.__name__ for k in _CODECS)}")
    payload = _pack(codec.plain(record))
    return _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload), hashlib.sha256(payload).digest()) + payload


def _read_header(header: bytes) -> tuple[int, bytes]:
    """(payload length, payload sha256) from an entry's first HEADER_SIZE bytes."""
    if len(header) < HEADER_SIZE:
        raise CacheEntryError(f"{len(header)} bytes, shorter than the {HEADER_SIZE}-byte header")
    magic, version, length, digest = _HEADER.unpack_from(header)
    if magic != MAGIC:
        raise CacheEntryError(f"not a pressgraph cache entry (starts with {bytes(magic)!r})")
    if version != FORMAT_VERSION:
        raise CacheEntryError(f"format version {version}, expected {FORMAT_VERSION}")
    return length, digest


def _decode_payload(payload: bytes | memoryview, digest: bytes, kind: type) -> Any:
    if hashlib.sha256(payload).digest() != digest:
        raise CacheEntryError("checksum mismatch")
    # Unpacking and building make thousands of objects and no reference cycle: the
    # collector, run every few hundred new objects, would only add a fifth to the time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            value = srsly.msgpack.loads(
                payload,
                raw=False,
                use_list=False,
                unicode_errors="surrogatepass",
                object_pairs_hook=_refuse_map,
                ext_hook=_refuse_ext,
            )
        except CacheEntryError:
            raise
        except Exception as err:  # noqa: BLE001 - whatever msgpack makes of bad bytes is a bad entry
            raise CacheEntryError(f"not valid msgpack ({type(err).__name__}: {err})") from None
        try:
            return _CODECS[kind].one(value)
        except CacheEntryError:
            raise
        except Exception as err:  # noqa: BLE001 - a shape the checks did not foresee is still a bad entry
            raise CacheEntryError(f"not a {kind.__name__} ({type(err).__name__}: {err})") from None
    finally:
        if collecting:
            gc.enable()


def decode(data: bytes, kind: type) -> PreparedArticle | AnnotatedArticle | ArticleResult:
    """The record of type `kind` held by an entry made by `encode`.

    Raises:
        CacheEntryError: the bytes are not a valid entry of a `kind` record.
    """
    if kind not in _CODECS:
        raise TypeError(f"cannot decode a {kind!r}; allowed: {', '.join(k.__name__ for k in _CODECS)}")
    length, digest = _read_header(data)
    if len(data) - HEADER_SIZE != length:
        raise CacheEntryError(f"header declares {length} payload bytes, the entry holds {len(data) - HEADER_SIZE}")
    return _decode_payload(memoryview(data)[HEADER_SIZE:], digest, kind)


# ----------------------------------------------------------------- cache


def _print_warning(message: str) -> None:
    print(message, file=sys.stderr)


class Cache:
    """Entries of one record type in `folder/ab/abcdef....msgpack`, written atomically.

    Reading never raises: an absent, unreadable or corrupt entry is a miss
    (a corrupt one is reported once per Cache through `warn`, then counted
    in `corrupt`; the next `put` of its key replaces it). Writing never
    raises on an OSError either: the first one is reported and writes stop.

    Args:
        kind: `PreparedArticle`, `AnnotatedArticle` or `ArticleResult`.
        read: False to ignore what is stored (entries are still written).
        warn: called with a one-line message (default: printed to stderr).
    """

    def __init__(
        self, folder: Path, kind: type, *, read: bool = True, warn: Callable[[str], None] | None = None
    ) -> None:
        if kind not in _CODECS:
            raise TypeError(f"cannot cache a {kind!r}; allowed: {', '.join(k.__name__ for k in _CODECS)}")
        self.folder = Path(folder)
        self.kind = kind
        self.read = read
        self.warn = warn or _print_warning
        self.hits = 0
        self.misses = 0
        self.corrupt = 0
        self.writable = True

    def path(self, key: str) -> Path:
        """Where the entry of `key` lives (ValueError for a key that is not hex)."""
        _check_key(key)
        return self.folder / key[:2] / f"{key}{SUFFIX}"

    def stored(self, key: str) -> bool:
        """Whether there is an entry under `key` for `get` to read (it may still prove corrupt)."""
        try:
            return self.read and self.path(key).is_file()
        except ValueError:
            return False

    def get(self, key: str) -> Any | None:
        """The record stored under `key`, or None."""
        if not self.read:
            self.misses += 1
            return None
        try:
            path = self.path(key)
        except ValueError:
            self.misses += 1
            return None
        try:
            record = self._load(path)
        except CacheEntryError as err:
            self.misses += 1
            self.corrupt += 1
            if self.corrupt == 1:
                self.warn(
                    f"pressgraph: ignoring corrupt cache entry {path} ({err}); "
                    f"corrupt entries under {self.folder} are recomputed (any further ones without notice)"
                )
            return None
        except OSError:  # absent, or unreadable: recomputed, and replaced by put when the folder allows
            self.misses += 1
            return None
        self.hits += 1
        return record

    def _load(self, path: Path) -> Any:
        # O_NONBLOCK: a named pipe planted at an entry's path must not hang the run
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise CacheEntryError("not a regular file")
            length, digest = _read_header(os.read(fd, HEADER_SIZE))
            # checked before reading, so an absurd declared length never allocates
            # (a sparse file can be as long as its header claims)
            if length > MAX_PAYLOAD:
                raise CacheEntryError(f"header declares {length} payload bytes, more than any entry holds")
            if info.st_size - HEADER_SIZE != length:
                raise CacheEntryError(
                    f"header declares {length} payload bytes, the file holds {info.st_size - HEADER_SIZE}"
                )
            payload = os.read(fd, length)
        finally:
            os.close(fd)
        if len(payload) != length:
            raise CacheEntryError(f"header declares {length} payload bytes, {len(payload)} could be read")
        return _decode_payload(payload, digest, self.kind)

    def put(self, key: str, record: Any) -> None:
        """Store `record` under `key` (ValueError for a bad key, TypeError for a record not of `kind`)."""
        if type(record) is not self.kind:
            raise TypeError(f"this cache holds {self.kind.__name__} records, not {type(record).__name__}")
        self.path(key)
        if self.writable:
            self.put_bytes(key, encode(record))

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store an entry made by `encode` (in a worker process, say) under `key`."""
        path = self.path(key)
        if not data.startswith(MAGIC):
            raise ValueError(f"not a cache entry made by encode (starts with {bytes(data[:8])!r})")
        if not self.writable:
            return
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{key}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except OSError as err:
            _remove(tmp)
            self.writable = False
            self.warn(f"pressgraph: cannot write the cache under {self.folder} ({err}): going on without it")
        except BaseException:
            _remove(tmp)
            raise


def _remove(tmp: str | None) -> None:
    if tmp is not None:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def prepared_cache(folder: Path, *, read: bool = True, warn: Callable[[str], None] | None = None) -> Cache:
    """The prepared-article level of the cache under `folder`."""
    return Cache(Path(folder) / "prepared", PreparedArticle, read=read, warn=warn)


def annotation_cache(folder: Path, *, read: bool = True, warn: Callable[[str], None] | None = None) -> Cache:
    """The annotation level of the cache under `folder`."""
    return Cache(Path(folder) / "annotations", AnnotatedArticle, read=read, warn=warn)


def result_cache(folder: Path, *, read: bool = True, warn: Callable[[str], None] | None = None) -> Cache:
    """The article-result level of the cache under `folder`."""
    return Cache(Path(folder) / "articles", ArticleResult, read=read, warn=warn)


__all__ = [
    "FORMAT_VERSION",
    "Cache",
    "CacheEntryError",
    "PreparedArticle",
    "annotation_cache",
    "article_key",
    "cache_key",
    "decode",
    "derived_key",
    "encode",
    "prepared_cache",
    "result_cache",
]
