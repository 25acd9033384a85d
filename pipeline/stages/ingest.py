"""Ingest stage: the bytes of an input file -> Articles.

Pure functions: `pipeline.store.inputs` reads the files and hands their
bytes here, with the file's full suffix (`file_suffix`). Formats:

- `.txt`, `.md`: one article, the decoded text.
- `.html`, `.htm`: one article; main text, title, date and URL extracted by
  trafilatura (htmldate for the date when trafilatura finds none).
- `.jsonl`: one article per line, `.csv`: one per row; `Fields` names the keys.
- any of these gzip-compressed (`.txt.gz`, `.jsonl.gz` ...).

Text is decoded (`decode`), normalised to NFC, and control characters other
than newline, tab and carriage return become spaces; a `.txt`/`.md` article
says whether its text is still the file's own (`Article.offsets_in_file`).
Also here: language identification (`detect_language`, `is_french`) and
near-duplicate detection (`shingles`, `find_duplicates`) for syndicated
stories.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from io import BytesIO, StringIO
from itertools import chain
from math import ceil
from pathlib import PurePath
from typing import TYPE_CHECKING

from pipeline.records import Article, Fields, InputFile, ReadError
from pipeline.text import fold

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

# trafilatura, htmldate, charset_normalizer and py3langid are imported where
# they are first needed (an HTML page, a text not in UTF-8, a language check):
# a run whose articles are all cached needs none of them.

PLAIN_SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl", ".csv")
# Every suffix parse_document reads: the plain ones and their gzip variants.
SUFFIXES = PLAIN_SUFFIXES + tuple(s + ".gz" for s in PLAIN_SUFFIXES)

GZIP_MAGIC = b"\x1f\x8b"
# A gzip file may unpack to at most this many bytes (a "zip bomb" guard).
MAX_UNPACKED = 500_000_000


# ------------------------------------------------------------------ suffixes


def file_suffix(name: str) -> str:
    """The lowercased suffix that decides how a file is read.

    "feed.JSONL.gz" -> ".jsonl.gz", "le.monde.txt" -> ".txt", "README" -> "".
    Only a final ".gz" makes the suffix compound.
    """
    suffixes = [s.lower() for s in PurePath(name).suffixes]
    if not suffixes:
        return ""
    if suffixes[-1] == ".gz" and len(suffixes) > 1:
        return "".join(suffixes[-2:])
    return suffixes[-1]


def known_article_count(names: Iterable[str]) -> int | None:
    """How many articles files of these names hold, when that is known
    before they are read: one each, unless one is JSON Lines or CSV (any
    number of records), then None."""
    count = 0
    for name in names:
        if file_suffix(name).removesuffix(".gz") in (".jsonl", ".csv"):
            return None
        count += 1
    return count


# ------------------------------------------------------------------ decoding

# Control characters (Unicode category Cc) other than \t \n \r, each to a
# space: the text keeps its length, so offsets stay valid. Written as ranges,
# which the regex engine scans for twice as fast as a list of characters.
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_ANY_CONTROL = re.compile(f"[{_CONTROLS}]")
# ... those counted as a sign of binary data (a form feed is not) ...
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
# ... and lone surrogates (from JSON escapes), each to U+FFFD.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Either of them: most texts have none, and are only scanned once.
_TO_CLEAN = re.compile(f"[{_CONTROLS}\\ud800-\\udfff]")
# Decoded text with a larger share of control characters is binary data.
_MAX_CONTROL_SHARE = 0.05
# Raw bytes with a larger share of NUL bytes (and no UTF-16 pattern) are binary.
_MAX_NUL_SHARE = 0.01
# ... but a few stray control or NUL bytes never make a text binary.
_MIN_BINARY_BYTES = 4
# How much of a large input the heuristics look at.
_SAMPLE_CHARS = 100_000

_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (.zip, .docx, .odt, .epub ...)"),
    (b"\x7fELF", "an executable"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (GZIP_MAGIC, "gzip-compressed data (name the file with a .gz suffix)"),
)


def clean_text(text: str) -> str:
    """NFC, control characters other than \\n \\t \\r replaced by spaces, and
    lone surrogates (from JSON escapes) by U+FFFD, so every writer can encode it."""
    text = unicodedata.normalize("NFC", text)
    if _TO_CLEAN.search(text) is None:
        return text
    return _SURROGATE.sub("\ufffd", _ANY_CONTROL.sub(" ", text))


def decode(data: bytes) -> str:
    """Bytes of a (French) text -> str, NFC, control characters as spaces.

    Tried in order: a byte-order mark (UTF-8, UTF-16, UTF-32); UTF-32 or
    UTF-16 without one; UTF-8; UTF-8 mixed with cp1252 (a few stray bytes, or
    whole parts pasted from another file: each part read in its encoding);
    cp1252 (which reads latin-1 too) when the result looks like Western
    European text; else the encoding charset-normalizer finds most likely.

    Raises:
        UnicodeError: binary data (an image, a PDF, many NUL or control
            bytes), or bytes that no text encoding fits.
    """
    text = _decode_raw(data)
    if _TO_CLEAN.search(text) is None:  # not binary, nothing to replace
        return unicodedata.normalize("NFC", text)
    _check_not_binary(text)
    return clean_text(text)


def _decode_raw(data: bytes) -> str:
    """The decoded text, before normalisation."""
    bom = _bom_codec(data)
    if bom is not None:
        codec, size = bom
        try:
            return data[size:].decode(codec)
        except UnicodeDecodeError as err:
            problem = f"starts with a {codec} byte-order mark but is not {codec} (bad bytes at {err.start})"
            raise UnicodeError(problem) from err
    kind = _binary_kind(data)
    if kind is not None:
        raise UnicodeError(f"binary data, not text: looks like {kind}")
    if b"\x00" in data:
        wide = _decode_utf32_without_bom(data) or _decode_utf16_without_bom(data)
        if wide is not None:
            return wide
        _check_nuls(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return _decode_mostly_utf8(data) or _decode_western(data) or _decode_guessed(data)


def _bom_codec(data: bytes) -> tuple[str, int] | None:
    """(codec, BOM length) when the data starts with a byte-order mark."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def _binary_kind(data: bytes) -> str | None:
    """What a binary file is, told by its first bytes ("a PNG image")."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def _decode_utf32_without_bom(data: bytes) -> str | None:
    """UTF-32 text without a byte-order mark, or None.

    Every code point is below U+110000, so the high byte of each four is NUL;
    in a Latin, Greek or Cyrillic text the next one is too.
    """
    quads = len(data) // 4
    if not quads or len(data) % 4:
        return None
    if data[3::4].count(0) == quads and data[2::4].count(0) >= 0.9 * quads:
        codec = "utf-32-le"
    elif data[0::4].count(0) == quads and data[1::4].count(0) >= 0.9 * quads:
        codec = "utf-32-be"
    else:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None  # NUL bytes in that pattern but not UTF-32: the next tests decide


def _decode_utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark (every other byte NUL), or None."""
    half = max(len(data) // 2, 1)
    even, odd = data[0::2].count(0) / half, data[1::2].count(0) / half
    codec = "utf-16-le" if odd > 0.6 and even < 0.05 else "utf-16-be" if even > 0.6 and odd < 0.05 else None
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError as err:
        raise UnicodeError(f"binary data, not text: NUL bytes as in {codec}, but not {codec}") from err


def _check_nuls(data: bytes) -> None:
    """Raise UnicodeError when NUL bytes make up much of the data."""
    nuls = data.count(0)
    if nuls > max(_MIN_BINARY_BYTES, _MAX_NUL_SHARE * len(data)):
        raise UnicodeError(f"binary data, not text: {nuls} NUL bytes in {len(data)}")


# Characters of Western European text beyond ASCII (é, œ, ’, «, €). Their
# UTF-8 bytes read as cp1252 are mojibake ("Ã©"), which a real cp1252 text
# hardly ever holds.
_WESTERN = re.compile("[\u00a0-\u017f\u2010-\u203a\u20ac]")
# Valid UTF-8 characters of Western text from which UTF-8 mixed with cp1252
# is the reading, however many bytes are not UTF-8.
_MIN_WESTERN_UTF8 = 2


def _decode_mostly_utf8(data: bytes) -> str | None:
    """UTF-8 mixed with cp1252 (a cp1252 "é" or a whole cp1252 part pasted in), or None.

    Each valid UTF-8 sequence is read as UTF-8, each other byte as cp1252.
    Accepted when the valid non-ASCII UTF-8 characters outnumber the bad
    bytes, or when at least `_MIN_WESTERN_UTF8` of them are letters or signs
    of Western text: reading the whole file as cp1252 would turn those into
    mojibake ("Ã©").
    """
    text = data.decode("utf-8", errors="surrogateescape")
    bad = len(re.findall("[\udc80-\udcff]", text))
    non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
    if non_ascii - bad <= bad and len(_WESTERN.findall(text, 0, _SAMPLE_CHARS * 10)) < _MIN_WESTERN_UTF8:
        return None
    return re.sub("[\udc80-\udcff]", lambda m: bytes([ord(m[0]) - 0xDC00]).decode("cp1252", errors="replace"), text)


def _decode_western(data: bytes) -> str | None:
    """cp1252 (a superset of latin-1's letters) if it reads as Western text.

    Not when bytes undefined in cp1252 occur, nor when most letters come out
    accented (Cyrillic or Greek bytes read as cp1252 give "Ïðèâåò").
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    letters = [c for c in text[:_SAMPLE_CHARS] if c.isalpha()]
    accented = sum(1 for c in letters if ord(c) > 0x7F)
    return text if accented <= max(3, 0.3 * len(letters)) else None


def _decode_guessed(data: bytes) -> str:
    """The encoding charset-normalizer finds most likely."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnicodeError("binary data, not text: not UTF-8, cp1252 or any other text encoding tried")
    return str(best)


def _check_not_binary(text: str) -> None:
    """Raise UnicodeError when control characters make up much of the text."""
    sample = text[:_SAMPLE_CHARS]
    controls = len(_CONTROL_CHARS.findall(sample))
    if controls > max(_MIN_BINARY_BYTES, _MAX_CONTROL_SHARE * len(sample)):
        raise UnicodeError(f"binary data, not text: {controls / len(sample):.0%} control characters")


# --------------------------------------------------------------------- dates

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            "janvier janv jan january",
            "fevrier fevr fev feb february",
            "mars mar march",
            "avril avr apr april",
            "mai may",
            "juin jun june",
            "juillet juil jul july",
            "aout aou aug august",
            "septembre sept sep september",
            "octobre oct october",
            "novembre nov november",
            "decembre dec december",
        ],
        start=1,
    )
    for name in names.split()
}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_TIME = r"(?:\s*(?:,|a|at|-|t)?\s*(\d{1,2})\s*[h:]\s*(\d{2})(?:\s*:\s*(\d{2}))?)?"
_DAY_FIRST = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\b" + _TIME)
_YEAR_FIRST = re.compile(r"\b(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b" + _TIME)
_DAY_MONTH = re.compile(r"\b(\d{1,2})(?:er|st|nd|rd|th)?\s+" + _MONTH + r"\s+(\d{4})\b" + _TIME)
_MONTH_DAY = re.compile(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b" + _TIME)


# "2020-08", "2020": a month or a year, from 1800 to 2199
_ISO_MONTH = re.compile(r"(?:18|19|20|21)\d\d(?:-(?:0[1-9]|1[0-2]))?")


def normalise_date(value: object) -> str:
    """A date in a common format -> ISO 8601; "" when it is not a date.

    Date only -> "YYYY-MM-DD"; with a time -> the full datetime
    ("2024-06-18T08:00:00+02:00"); an ISO month or year alone ("2020-08",
    "2020") stays as it is: what is known of the date, which the linker
    reads for the holder of a role and the timeline leaves out. Reads ISO 8601, day-first numeric dates
    ("18/06/2024 à 08h00", the French order), "2024/06/18", month names in
    French or English ("mardi 18 juin 2024", "June 18, 2024") and RFC 2822
    ("Tue, 18 Jun 2024 08:00:00 +0200").
    """
    text = " ".join(str(value or "").split())
    if not text:
        return ""
    for parse in (_iso_date, _rfc2822_date, _numeric_date, _worded_date):
        found = parse(text)
        if found:
            return found
    return ""


def _iso_date(text: str) -> str:
    if _ISO_MONTH.fullmatch(text):
        return text
    for parse in (date.fromisoformat, datetime.fromisoformat):
        try:
            return parse(text).isoformat()
        except ValueError:
            continue
    return ""


def _numeric_date(text: str) -> str:
    text = fold(text)
    if m := _DAY_FIRST.search(text):
        day, month, year, *clock = m.groups()
        return _build_date(year, month, day, clock)
    if m := _YEAR_FIRST.search(text):
        year, month, day, *clock = m.groups()
        return _build_date(year, month, day, clock)
    return ""


def _worded_date(text: str) -> str:
    folded = fold(text)
    if m := _DAY_MONTH.search(folded):
        day, month, year, *clock = m.groups()
        return _build_date(year, _MONTHS[month], day, clock)
    if m := _MONTH_DAY.search(folded):
        month, day, year, *clock = m.groups()
        return _build_date(year, _MONTHS[month], day, clock)
    return ""


def _rfc2822_date(text: str) -> str:
    try:
        return parsedate_to_datetime(text).isoformat()
    except (TypeError, ValueError, IndexError):
        return ""


def _build_date(year: str | int, month: str | int, day: str | int, clock: list[str | None]) -> str:
    """ISO text of the date (and time, when `clock` has hours and minutes), or ""."""
    hour, minute, second = clock
    try:
        if hour is None:
            return date(int(year), int(month), int(day)).isoformat()
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0)).isoformat()
    except ValueError:
        return ""


# ------------------------------------------------------------------ formats

Parser = Callable[..., list[Article | ReadError]]


def parse_document(
    data: bytes,
    *,
    source: str,
    doc_id: str,
    suffix: str,
    fields: Fields | None = None,
    max_unpacked: int = MAX_UNPACKED,
) -> list[Article | ReadError]:
    """The articles in one input file, and ReadErrors for its unreadable parts.

    `suffix` is the file's full suffix (`file_suffix`: ".jsonl.gz"); a bare
    ".gz" is completed from the name in `source`. Gzip data is unpacked
    whatever the suffix. A JSON Lines or CSV record that cannot be read
    becomes a `ReadError(source, "feed.jsonl line 3: ...")` in the list,
    in file order among the articles; the other records are still read.

    Raises:
        UnicodeError: the bytes are not text in any encoding tried.
        ValueError: the file's format is not one pressgraph reads, a gzip
            file is corrupt, or a CSV has no text column.
        RecursionError: the file nests deeper than Python can read (an HTML page).
    """
    name = PurePath(source).name or source
    kind = suffix.lower()
    if kind == ".gz":
        kind = file_suffix(name)
    parser = _PARSERS.get(kind.removesuffix(".gz"))
    if parser is None:
        raise ValueError(f"{name}: unsupported file type {suffix!r}; allowed: {', '.join(SUFFIXES)}")
    if kind.endswith(".gz") or data.startswith(GZIP_MAGIC):
        data = gunzip(data, name=name, max_unpacked=max_unpacked)
        found = parser(data, source=source, doc_id=doc_id, name=name, fields=fields or Fields())
        # the file holds the packed bytes, not the text
        return [replace(a, offsets_in_file=False) if isinstance(a, Article) else a for a in found]
    return parser(data, source=source, doc_id=doc_id, name=name, fields=fields or Fields())


def parse_inputs(
    files: Iterable[InputFile | ReadError], *, fields: Fields | None = None, max_unpacked: int = MAX_UNPACKED
) -> Iterator[Article | ReadError]:
    """The articles of every input file, ids unique across files; what cannot be read becomes ReadErrors.

    An article's doc_id is its file's stem, or the record's id field in JSON
    Lines and CSV; a repeated id gets a `~2`, `~3`, ... suffix.
    """
    seen: dict[str, int] = {}
    for file in files:
        if isinstance(file, ReadError):
            yield file
            continue
        name = PurePath(file.source).name
        suffix = file_suffix(name)
        stem = name[: len(name) - len(suffix)] if suffix else name
        try:
            parsed = parse_document(
                file.data, source=file.source, doc_id=stem, suffix=suffix, fields=fields, max_unpacked=max_unpacked
            )
        except (UnicodeError, ValueError) as err:
            yield ReadError(file.source, str(err))
            continue
        except RecursionError:
            yield ReadError(file.source, f"{name}: nested too deeply to read")
            continue
        for x in parsed:
            yield x if isinstance(x, ReadError) else replace(x, doc_id=_unique_id(x.doc_id, seen))


def gunzip(data: bytes, *, name: str, max_unpacked: int = MAX_UNPACKED) -> bytes:
    """The unpacked bytes of gzip data.

    Raises:
        ValueError: the data is not valid gzip, or unpacks to more than
            `max_unpacked` bytes.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        with gzip.GzipFile(fileobj=BytesIO(data)) as f:
            while chunk := f.read(1 << 20):
                size += len(chunk)
                if size > max_unpacked:
                    raise ValueError(f"{name}: unpacks to more than {max_unpacked} bytes, the most allowed")
                chunks.append(chunk)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{name}: not a valid gzip file ({err})") from err
    return b"".join(chunks)


def _parse_text(data: bytes, *, source: str, doc_id: str, name: str, fields: Fields) -> list[Article | ReadError]:
    """A plain-text or Markdown file: one article, the decoded text."""
    text = decode(data)
    article = Article(doc_id=doc_id, source=source, title="", date="", url="", raw_text=text)
    return [replace(article, offsets_in_file=True) if _is_utf8_text(data, text) else article]


def _is_utf8_text(data: bytes, text: str) -> bool:
    """Whether `text` is exactly what reading `data` as UTF-8 (BOM skipped) gives."""
    try:
        return data.decode("utf-8-sig") == text
    except UnicodeDecodeError:
        return False


def _parse_html(data: bytes, *, source: str, doc_id: str, name: str, fields: Fields) -> list[Article | ReadError]:
    """An HTML page: one article, its main text (paragraphs apart by blank lines)."""
    html = decode(data)
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False, include_images=False)
    text = _paragraphs(doc.text or "") if doc is not None else ""
    if not text:
        raise ValueError(f"{name}: no article text found in the HTML page")
    date_found = normalise_date(doc.date) or _html_date(html)
    return [
        Article(
            doc_id=doc_id,
            source=source,
            title=clean_text(doc.title or ""),
            date=date_found[:10],
            url=clean_text(doc.url or ""),
            raw_text=clean_text(text),
        )
    ]


def _paragraphs(text: str) -> str:
    """Non-blank lines, stripped, separated by blank lines."""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _html_date(html: str) -> str:
    """The publication date htmldate finds in the page, or ""."""
    import htmldate

    try:
        found = htmldate.find_date(html, original_date=True, outputformat="%Y-%m-%d")
    except ValueError:
        return ""
    return found or ""


def _parse_jsonl(data: bytes, *, source: str, doc_id: str, name: str, fields: Fields) -> list[Article | ReadError]:
    """JSON Lines: one article per line; blank lines are skipped."""
    text = decode(data)
    results: list[Article | ReadError] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = _json_record(line, fields)
            record_id = _unique_id(_record_id(record, fields, doc_id, number), seen)
            results.append(_article(record, fields, source=source, doc_id=record_id))
        except ValueError as err:
            results.append(ReadError(source, f"{name} line {number}: {err}"))
        except RecursionError:  # json.loads, or str() of a deep value in a field read
            results.append(ReadError(source, f"{name} line {number}: JSON nested too deeply to read"))
    return results or [ReadError(source, f"{name}: no records")]


def _json_record(line: str, fields: Fields) -> dict:
    """The JSON object on one line, checked to have a text field."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"not valid JSON: {err.msg} (column {err.colno})") from None
    if not isinstance(record, dict):
        raise ValueError(f"a JSON {type(record).__name__}, not an object with a {fields.text!r} field")
    if fields.text not in record:
        raise ValueError(f"no {fields.text!r} field; fields: {', '.join(map(str, record))}")
    if not isinstance(record[fields.text], str):
        raise ValueError(f"the {fields.text!r} field is {type(record[fields.text]).__name__}, not text")
    return record


def _parse_csv(data: bytes, *, source: str, doc_id: str, name: str, fields: Fields) -> list[Article | ReadError]:
    """CSV with a header row: one article per row; empty rows are skipped.

    The delimiter is the one of , ; tab | most frequent in the header line.
    Malformed quoting (an unclosed quote) ends the file with a ReadError
    instead of swallowing the rest into one cell.
    """
    text = decode(data)
    # A whole article fits in one cell: raise the csv module's (process-wide) cell limit if needed.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(StringIO(text, newline=""), delimiter=_csv_delimiter(text), strict=True)
    header = [cell.strip() for cell in next(reader, [])]
    if not any(header):
        raise ValueError(f"{name}: empty CSV, no header row")
    if fields.text not in header:
        raise ValueError(f"{name}: no {fields.text!r} column; columns: {', '.join(header)}")
    results: list[Article | ReadError] = []
    seen: dict[str, int] = {}
    for number, row in _csv_rows(reader):
        if isinstance(row, csv.Error):
            results.append(ReadError(source, f"{name} line {number}: not valid CSV ({row}); the rest is skipped"))
            break
        if len(row) != len(header):
            problem = f"{len(header)} cells expected as in the header, found {len(row)}"
            results.append(ReadError(source, f"{name} line {number}: {problem}"))
            continue
        record = dict(zip(header, row))
        record_id = _unique_id(_record_id(record, fields, doc_id, number), seen)
        results.append(_article(record, fields, source=source, doc_id=record_id))
    return results or [ReadError(source, f"{name}: no records, only a header row")]


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(line where the row starts, row) for the non-empty rows left in `reader`.

    A csv error is yielded in place of a row, and ends the rows.
    """
    line = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield line + 1, err
            return
        start, line = line + 1, reader.line_num
        if any(cell.strip() for cell in row):
            yield start, row


def _csv_delimiter(text: str) -> str:
    """The most frequent of , ; tab | in the first line (, on a tie)."""
    first = text.split("\n", 1)[0]
    return max(",;\t|", key=first.count)


def _record_id(record: dict, fields: Fields, file_doc_id: str, line: int) -> str:
    """The record's id field as text when present, else "<file doc_id>:<line>"."""
    value = record.get(fields.id) if fields.id else None
    value = "" if value is None else clean_text(str(value)).strip()
    return value or f"{file_doc_id}:{line}"


def _unique_id(doc_id: str, seen: dict[str, int]) -> str:
    """`doc_id` the first time, then "doc_id~2", "doc_id~3" ..."""
    seen[doc_id] = seen.get(doc_id, 0) + 1
    return doc_id if seen[doc_id] == 1 else f"{doc_id}~{seen[doc_id]}"


def _article(record: dict, fields: Fields, *, source: str, doc_id: str) -> Article:
    """An Article from a JSON or CSV record (its text field checked present)."""
    return Article(
        doc_id=doc_id,
        source=source,
        title=_field_text(record, fields.title),
        date=normalise_date(_field_text(record, fields.date)),
        url=_field_text(record, fields.url),
        raw_text=clean_text(record[fields.text]),
    )


def _field_text(record: dict, key: str) -> str:
    """The record's value for `key` as clean text; "" when absent or null."""
    value = record.get(key) if key else None
    return "" if value is None else clean_text(str(value)).strip()


_PARSERS: dict[str, Parser] = {
    ".txt": _parse_text,
    ".md": _parse_text,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".jsonl": _parse_jsonl,
    ".csv": _parse_csv,
}


# ------------------------------------------------------------------ language

# A text with fewer letters than this counts as French: too little evidence
# to drop it (a caption, a brief, a headline-only item).
MIN_LETTERS = 200
# French when py3langid's most likely language is "fr" with at least this
# probability (probabilities over its 97 languages, summing to 1).
FRENCH_THRESHOLD = 0.5
_LANGUAGE_SAMPLE_CHARS = 2000


@lru_cache(maxsize=1)
def _language_identifier() -> LanguageIdentifier:
    """py3langid's model with probabilities normalised to 0..1, loaded once."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the text's language, from its first
    2000 characters; ("", 0.0) for a text without letters."""
    sample = " ".join(text[: 2 * _LANGUAGE_SAMPLE_CHARS].split())[:_LANGUAGE_SAMPLE_CHARS]
    if not any(c.isalpha() for c in sample):
        return "", 0.0
    return _classify(sample)


@lru_cache(maxsize=1024)
def _classify(sample: str) -> tuple[str, float]:
    """py3langid's language and probability for a sample. Remembered: the
    flow asks again about the texts it skips, and syndicated copies recur."""
    language, probability = _language_identifier().classify(sample)
    return str(language), float(probability)


def is_french(text: str, *, threshold: float = FRENCH_THRESHOLD, min_letters: int = MIN_LETTERS) -> bool:
    """Whether the text is French (see `detect_language`).

    A text with fewer than `min_letters` letters counts as French: there is
    not enough evidence to say it is not.
    """
    if _letters_up_to(text, min_letters) < min_letters:
        return True
    language, probability = detect_language(text)
    return language == "fr" and probability >= threshold


def _letters_up_to(text: str, limit: int) -> int:
    """The number of letters in the text, counting stopped at `limit`."""
    count = 0
    for c in text:
        if c.isalpha():
            count += 1
            if count >= limit:
                break
    return count


# ----------------------------------------------------------- near-duplicates

_COMBINING_MARKS = re.compile("[\u0300-\u036f]")
# Fewer shingles than this (about 24 words): too short to call a duplicate.
MIN_SHINGLES = 20
# The candidate index holds the shingles whose hash is divisible by this.
# Every document samples the same shingles, so two near-duplicates share
# about `overlap` x (the smaller sample) of them.
_SAMPLE_MOD = 4
# A sampled shingle seen in more original documents than this is furniture
# or a stock phrase: it stops pointing to candidates.
_MAX_POSTINGS = 100
# A candidate is verified when it shares at least this fraction of the
# sampled shingles a duplicate at the threshold would share (samples are noisy).
_CANDIDATE_SLACK = 0.5


def shingles(text: str, k: int = 5) -> set[int]:
    """Hashed word k-grams of the text; case, accents and punctuation ignored.

    A text of fewer than k words gives one shingle, a text without words
    none. The 64-bit BLAKE2b hashes are the same in every run and process.
    """
    if k < 1:
        raise ValueError(f"shingle size k must be at least 1; got {k}")
    return _remembered_shingles(text, k)


class _ShingleMemo:
    """The shingles of the texts seen last, as syndicated stories recur word
    for word. All are forgotten at once past `budget` bytes (the shingles,
    8 bytes each, and the texts they belong to)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self.shingles: dict[tuple[str, int], array] = {}

    def __call__(self, text: str, k: int) -> set[int]:
        remembered = self.shingles.get((text, k))
        if remembered is not None:
            return set(remembered)
        found = _shingles(text, k)
        size = 8 * len(found) + 4 * len(text)
        if self.used + size > self.budget:
            self.shingles.clear()
            self.used = 0
        self.shingles[text, k] = array("Q", found)
        self.used += size
        return found


_remembered_shingles = _ShingleMemo(budget=32_000_000)


def _shingles(text: str, k: int) -> set[int]:
    """`shingles`, computed."""
    words = _match_words(text)
    if not words:
        return set()
    return {_hash64(" ".join(words[i : i + k])) for i in range(max(len(words) - k + 1, 1))}


def _match_words(text: str) -> list[str]:
    """The words of the text, case-folded and without accents ("Été" -> "ete").

    The same as the runs of `\\w` in the NFD form with combining accents
    removed, but done one distinct character at a time (a French text has a
    few dozen) with str.replace, which is much faster than those regexes.
    Decomposing character by character differs from NFD only in the order of
    combining marks, none of which is part of a word.
    """
    folded = text.casefold()
    for char in set(folded):
        plain = _plain_char(char)
        if plain != char:
            folded = folded.replace(char, plain)
    return folded.split()


@lru_cache(maxsize=4096)
def _plain_char(char: str) -> str:
    """A case-folded character without its accents; " " for what is not part of a word.

    Combining accents go ("é" -> "e"); other characters outside `\\w`
    (punctuation, spaces) become spaces, which separate words.
    """
    decomposed = _COMBINING_MARKS.sub("", unicodedata.normalize("NFD", char))
    return "".join(c if c.isalnum() or c == "_" else " " for c in decomposed)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big")


def find_duplicates(
    items: Iterable[tuple[str, set[int]]], threshold: float = 0.9, *, min_shingles: int = MIN_SHINGLES
) -> dict[str, str]:
    """{later doc_id: earlier doc_id} for near-duplicate documents.

    `items` are (doc_id, shingles) in input order; see `DuplicateIndex`,
    which does the same one document at a time.
    """
    index = DuplicateIndex(threshold, min_shingles=min_shingles)
    duplicates: dict[str, str] = {}
    for doc_id, doc_shingles in items:
        original = index.add(doc_id, doc_shingles)
        if original is not None:
            duplicates[doc_id] = original
    return duplicates


class DuplicateIndex:
    """Near-duplicate detection one document at a time, in input order.

    Two documents are near-duplicates when |A ∩ B| / min(|A|, |B|) >=
    threshold over their `shingles`: the same story with different furniture
    around it, or a short story inside a longer page. A document duplicates
    the earliest original it matches (the first of a group in input order is
    the original; duplicates are not indexed). Documents with fewer than
    `min_shingles` shingles are left out.

    Not pairwise: an inverted index over a fixed 1-in-4 sample of the
    originals' shingles proposes candidates, whose overlap is then computed
    exactly. Memory: 8 bytes per shingle of each original.
    """

    def __init__(self, threshold: float = 0.9, *, min_shingles: int = MIN_SHINGLES):
        if not 0 < threshold <= 1:
            raise ValueError(f"duplicate threshold must be in (0, 1]; got {threshold}")
        self.threshold = threshold
        self.min_shingles = min_shingles
        self._doc_ids: list[str] = []
        self._shingles: list[array] = []
        self._sample_sizes: list[int] = []
        self._postings: dict[int, list[int]] = defaultdict(list)

    def add(self, doc_id: str, doc_shingles: set[int]) -> str | None:
        """The doc_id of the earlier original this document duplicates, or None
        (then the document is indexed as an original, if long enough)."""
        if len(doc_shingles) < self.min_shingles:
            return None
        sample = _sample(doc_shingles)
        original = self._match(doc_shingles, sample)
        if original is None:
            self._index(doc_id, doc_shingles, sample)
        return original

    def _match(self, doc_shingles: set[int], sample: list[int]) -> str | None:
        # how many sampled shingles each original shares, counted in C
        postings = [p for p in map(self._postings.get, sample) if p is not None and len(p) <= _MAX_POSTINGS]
        shared = Counter(chain.from_iterable(postings))
        for number in sorted(shared):
            expected = self.threshold * min(len(sample), self._sample_sizes[number])
            if shared[number] >= max(1, ceil(_CANDIDATE_SLACK * expected)) and (
                overlap(doc_shingles, self._shingles[number]) >= self.threshold
            ):
                return self._doc_ids[number]
        return None

    def _index(self, doc_id: str, doc_shingles: set[int], sample: list[int]) -> None:
        number = len(self._doc_ids)
        self._doc_ids.append(doc_id)
        self._shingles.append(array("Q", doc_shingles))
        self._sample_sizes.append(len(sample))
        for h in sample:
            posting = self._postings[h]
            if len(posting) <= _MAX_POSTINGS:
                posting.append(number)


def _sample(doc_shingles: set[int]) -> list[int]:
    return [h for h in doc_shingles if h % _SAMPLE_MOD == 0]


def overlap(a: set[int], b: Collection[int]) -> float:
    """|A ∩ B| / min(|A|, |B|), 0.0 when either is empty; `b` holds no repeats."""
    if not a or not b:
        return 0.0
    return len(a.intersection(b)) / min(len(a), len(b))
