"""Ingest stage: the bytes of an input file -> Articles.

Pure functions: `pipeline.io.read_articles` reads the files and hands their
bytes here. Text is decoded (UTF-8 with or without BOM, else the encoding
charset-normalizer finds most likely) and normalised to NFC.
"""

from __future__ import annotations

import unicodedata

from charset_normalizer import from_bytes

from pipeline.records import Article

TEXT_SUFFIXES = (".txt", ".md")


def decode(data: bytes) -> str:
    """Bytes of a French text -> str, NFC-normalised.

    UTF-8 (with or without BOM) first; otherwise the encoding that
    charset-normalizer finds most likely (cp1252, latin-1, UTF-16 ...).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        best = from_bytes(data).best()
        if best is None:
            raise UnicodeError(f"not UTF-8 and no other text encoding fits (first bad byte at {err.start})") from err
        text = str(best)
    return unicodedata.normalize("NFC", text)


def parse_document(data: bytes, *, source: str, doc_id: str, suffix: str) -> list[Article]:
    """The articles in one input file (a plain-text file holds one).

    Raises:
        UnicodeError: the bytes are not text in any encoding tried.
        ValueError: the file's format is not one pressgraph reads.
    """
    if suffix.lower() in TEXT_SUFFIXES:
        return [Article(doc_id=doc_id, source=source, title="", date="", url="", raw_text=decode(data))]
    raise ValueError(f"unsupported file type {suffix!r}; allowed: {', '.join(TEXT_SUFFIXES)}")
