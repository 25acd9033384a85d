"""Ingest: file formats, encodings, dates, language and near-duplicates.

Fixtures live in tests/data/formats/ (written by make_fixtures.py there).
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from pipeline.records import Article, Fields, ReadError
from pipeline.stages.ingest import (
    SUFFIXES,
    DuplicateIndex,
    decode,
    detect_language,
    file_suffix,
    find_duplicates,
    is_french,
    known_article_count,
    normalise_date,
    overlap,
    parse_document,
    shingles,
)

FORMATS = Path(__file__).resolve().parent / "data" / "formats"

CP1252_TEXT = (
    "« L’Otan s’inquiète », a déclaré mercredi le secrétaire général à Bruxelles. Selon lui, l’accord signé "
    "à Pyongyang « menace la sécurité de l’Europe » ; les Alliés étudient de nouvelles mesures — sanctions, "
    "surveillance maritime — d’ici à l’été. La question sera au cœur du sommet de Washington. "
    "Coût estimé : 5 millions d’€ par mois.\n"
)
LATIN1_TEXT = (
    "À Séoul, le ministère de la Défense a précisé que « l'exercice conjoint » se déroulerait près de la "
    "frontière. Le président sud-coréen a réuni son conseil de sécurité nationale ; il a dénoncé une "
    "coopération militaire « très préoccupante » entre Moscou et Pyongyang, à deux mois de Noël.\n"
)
UTF16_TEXT = (
    "Kim Jong-un a promis un « soutien total » à la Russie. Le dirigeant nord-coréen a reçu Vladimir Poutine "
    "au palais Kumsusan, où les deux hommes se sont entretenus pendant plus de deux heures, d’après l’agence "
    "officielle KCNA. Une réception a suivi.\n"
)
FRENCH_FIXTURES = ["article.html", "cp1252.txt", "latin1.txt", "utf16.txt", "dup_a.txt", "dup_b.txt", "other.txt"]


def fixture(name: str) -> bytes:
    return (FORMATS / name).read_bytes()


def parse(name: str, fields: Fields | None = None, *, suffix: str | None = None) -> list[Article | ReadError]:
    """parse_document on a fixture, as read_articles calls it."""
    stem = name.split(".")[0]
    return parse_document(
        fixture(name), source=str(FORMATS / name), doc_id=stem, suffix=suffix or file_suffix(name), fields=fields
    )


def articles_of(items: list[Article | ReadError]) -> list[Article]:
    return [i for i in items if isinstance(i, Article)]


def problems_of(items: list[Article | ReadError]) -> list[str]:
    return [i.problem for i in items if isinstance(i, ReadError)]


# ----------------------------------------------------------------- suffixes


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.txt", ".txt"),
        ("notes.MD", ".md"),
        ("feed.JSONL.gz", ".jsonl.gz"),
        ("page.html.gz", ".html.gz"),
        ("le.monde.2024.txt", ".txt"),
        ("dir/sub.d/table.csv", ".csv"),
        ("archive.gz", ".gz"),
        ("README", ""),
    ],
)
def test_file_suffix(name, expected):
    assert file_suffix(name) == expected


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["a.txt", "b.html.gz", "c.md"], 3),  # one article each
        (["a.txt", "feed.JSONL.gz"], None),  # a record a line: unknown until read
        (["table.csv"], None),
        ([], 0),
    ],
)
def test_the_article_count_is_known_before_reading_only_for_one_article_files(names, expected):
    assert known_article_count(names) == expected


# ----------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("name", "expected"),
    [("cp1252.txt", CP1252_TEXT), ("latin1.txt", LATIN1_TEXT), ("utf16.txt", UTF16_TEXT)],
)
def test_fixture_encodings_decode_to_the_exact_french_text(name, expected):
    assert decode(fixture(name)) == expected
    assert parse(name) == [Article(name.split(".")[0], str(FORMATS / name), "", "", "", expected)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Été".encode("cp1252"), "Été"),
        ("cœur".encode("cp1252"), "cœur"),
        ("À l’Élysée".encode("cp1252"), "À l’Élysée"),
        ("Noël à Séoul".encode("latin-1"), "Noël à Séoul"),
        (b"\xef\xbb\xbf" + "Corée".encode(), "Corée"),
        (b"\xfe\xff" + "Corée du Nord".encode("utf-16-be"), "Corée du Nord"),
        ("Corée du Nord".encode("utf-32"), "Corée du Nord"),
        ("Pyongyang, Séoul et Pékin".encode("utf-16-le"), "Pyongyang, Séoul et Pékin"),
        ("Corée".encode().replace(b"\xc3\xa9", b"e\xcc\x81"), "Corée"),  # NFD -> NFC
        ("Séoul, Pékin, Hanoï : ".encode() + "été".encode("cp1252"), "Séoul, Pékin, Hanoï : été"),
    ],
    ids=[
        "cp1252 short",
        "cp1252 oe",
        "cp1252 apostrophe",
        "latin-1",
        "utf-8 BOM",
        "utf-16-be BOM",
        "utf-32 BOM",
        "utf-16-le without BOM",
        "NFC",
        "utf-8 with stray cp1252",
    ],
)
def test_decode(data, expected):
    assert decode(data) == expected


def test_decode_replaces_control_characters_by_spaces_keeping_offsets():
    text = "Kim\x00Jong-un\x0bà\x1b[0m Pyongyang\r\n\tfin\x85."
    assert decode(text.encode("utf-8")) == "Kim Jong-un à [0m Pyongyang\r\n\tfin ."
    assert len(decode(text.encode("utf-8"))) == len(text)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "a PNG image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive"),
        (b"Bonjour" + b"\x00" * 50 + b"Paris", "NUL bytes"),
        (random.Random(0).randbytes(3000), "binary data"),
        (bytes(range(1, 32)) * 20 + b"texte", "control characters"),
    ],
    ids=["png", "pdf", "zip", "many NULs", "random bytes", "control bytes"],
)
def test_decode_rejects_binary_data(data, says):
    with pytest.raises(UnicodeError, match="binary data, not text") as err:
        decode(data)
    assert says in str(err.value)


# --------------------------------------------------------------------- HTML


def test_html_title_date_url_and_main_text():
    (article,) = parse("article.html")
    assert article.doc_id == "article"
    assert article.title == "Poutine à Pyongyang : la rencontre avec Kim Jong-un"
    assert article.date == "2024-06-18"
    assert article.url == "https://example.org/poutine-pyongyang"
    paragraphs = article.raw_text.split("\n\n")
    assert paragraphs[1].startswith("Vladimir Poutine est arrivé mardi soir à Pyongyang")
    assert paragraphs[-1].endswith("évoquant des livraisons d’obus et de missiles balistiques.")
    assert "« partenariat stratégique global »" in article.raw_text


@pytest.mark.parametrize(
    "furniture",
    ["SCRIPT_TEXT", "dataLayer", "INLINE_SCRIPT_TEXT", "STYLE_TEXT", "font-family", "Accueil", "Tous droits réservés"],
)
def test_html_text_has_no_script_style_nav_or_footer(furniture):
    (article,) = parse("article.html")
    assert furniture not in article.raw_text


def test_html_without_a_date_or_canonical_link():
    html = "<html><body><article>" + "<p>Kim Jong-un a reçu Vladimir Poutine à Pyongyang.</p>" * 5
    (article,) = parse_document(html.encode(), source="p.html", doc_id="p", suffix=".html")
    assert (article.date, article.url) == ("", "")
    assert "Kim Jong-un a reçu Vladimir Poutine" in article.raw_text


def test_html_without_text_is_an_error():
    with pytest.raises(ValueError, match=r"p\.htm: no article text found"):
        parse_document(
            b"<html><head><title>Vide</title></head><body></body></html>", source="d/p.htm", doc_id="p", suffix=".htm"
        )


# ------------------------------------------------------------- JSON Lines


def test_jsonl_returns_good_lines_and_reports_bad_ones_by_line_number():
    items = parse("feed.jsonl")
    source = str(FORMATS / "feed.jsonl")
    assert [type(i).__name__ for i in items] == ["Article", "Article", "ReadError", "Article", "ReadError"]
    assert articles_of(items) == [
        Article(
            "afp-001",
            source,
            "Poutine à Pyongyang",
            "2024-06-18T08:00:00+02:00",
            "https://example.org/afp-001",
            "Vladimir Poutine est arrivé à Pyongyang.",
        ),
        Article("feed:2", source, "Sans identifiant", "2024-06-19", "", "Kim Jong-un a reçu le président russe."),
        Article("42", source, "", "2024-06-19", "", "Séoul convoque son conseil de sécurité."),
    ]
    bad_json, no_text = problems_of(items)
    assert bad_json.startswith("feed.jsonl line 3: not valid JSON: Unterminated string")
    assert no_text == "feed.jsonl line 5: no 'text' field; fields: id, body"
    assert {i.source for i in items} == {source}


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (['{"id": "a", "text": "un"}', '{"id": "a", "text": "deux"}'], ["a", "a~2"]),
        (['{"text": "un"}', "", '{"id": null, "text": "deux"}'], ["f:1", "f:3"]),
        (['{"id": 7.0, "text": "un"}', '{"id": " ", "text": "deux"}'], ["7.0", "f:2"]),
        (['["une", "liste"]'], ["f.jsonl line 1: a JSON list, not an object with a 'text' field"]),
        (['{"text": 12}'], ["f.jsonl line 1: the 'text' field is int, not text"]),
        (["", "  "], ["f.jsonl: no records"]),
    ],
    ids=["repeated id", "no id", "odd ids", "not an object", "text not a string", "empty"],
)
def test_jsonl_ids_and_problems(lines, expected):
    items = parse_document("\n".join(lines).encode(), source="in/f.jsonl", doc_id="f", suffix=".jsonl")
    assert [i.doc_id if isinstance(i, Article) else i.problem for i in items] == expected


def test_jsonl_values_are_cleaned_and_dates_normalised():
    line = '{"text": "Cor\\u0065\\u0301e\\u0007 du Nord", "date": "Tue, 18 Jun 2024 08:00:00 +0200", "title": null}'
    (article,) = parse_document(line.encode(), source="f.jsonl", doc_id="f", suffix=".jsonl")
    assert (article.raw_text, article.date, article.title) == ("Corée  du Nord", "2024-06-18T08:00:00+02:00", "")


# ---------------------------------------------------------------------- CSV

CUSTOM = Fields(id="identifiant", text="corps", title="titre", date="publication", url="lien")


def test_csv_with_custom_column_names():
    source = str(FORMATS / "custom.csv")
    assert parse("custom.csv", CUSTOM) == [
        Article(
            "csv-1",
            source,
            "Poutine à Pyongyang",
            "2024-06-18",
            "https://example.org/csv-1",
            "Vladimir Poutine est arrivé à Pyongyang.\n\nIl y restera deux jours.",
        ),
        Article(
            "csv-2",
            source,
            "« Alliance » Russie–Corée du Nord",
            "2024-06-19T10:30:00",
            "",
            "Le traité prévoit une aide mutuelle.",
        ),
    ]


@pytest.mark.parametrize(
    ("name", "fields", "message"),
    [
        ("no_text.csv", None, "no_text.csv: no 'text' column; columns: id, titre, contenu"),
        ("custom.csv", None, "custom.csv: no 'text' column; columns: identifiant, titre, publication, lien, corps"),
    ],
)
def test_csv_without_the_text_column_is_an_error(name, fields, message):
    with pytest.raises(ValueError) as err:
        parse(name, fields)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,text\n1,un\n\n2,deux\n", ["1", "2"]),
        ("text\tid\nun\t1\n", ["1"]),
        (
            "id,text\n1,un\n2,deux,trois\n3\n",
            [
                "1",
                "f.csv line 3: 2 cells expected as in the header, found 3",
                "f.csv line 4: 2 cells expected as in the header, found 1",
            ],
        ),
        ('id,text\n1,"un\ndeux"\n2,trois\n', ["1", "2"]),
        ("text\nun\ndeux\n", ["f:2", "f:3"]),
        (
            'id,text\n1,il dit "oui"\n2,"deux\n3,trois\n',
            ["1", "f.csv line 3: not valid CSV (unexpected end of data); the rest is skipped"],
        ),
        ("id,text\n", ["f.csv: no records, only a header row"]),
    ],
    ids=["blank row", "tab", "bad rows", "multi-line cell", "no id column", "unclosed quote", "header only"],
)
def test_csv_rows(text, expected):
    items = parse_document(text.encode(), source="f.csv", doc_id="f", suffix=".csv")
    assert [i.doc_id if isinstance(i, Article) else i.problem for i in items] == expected


def test_empty_csv_is_an_error():
    with pytest.raises(ValueError, match="f.csv: empty CSV, no header row"):
        parse_document(b"", source="f.csv", doc_id="f", suffix=".csv")


def test_fields_needs_a_text_field():
    with pytest.raises(ValueError, match="Fields.text must name"):
        Fields(text="")


# --------------------------------------------------------------------- gzip


@pytest.mark.parametrize("plain", ["cp1252.txt", "feed.jsonl"])
def test_gzip_variants_equal_their_plain_versions(plain):
    def read(name: str) -> list[Article | ReadError]:
        return parse_document(fixture(name), source="in/" + plain, doc_id="x", suffix=file_suffix(name))

    assert read(plain + ".gz") == read(plain)
    assert len(read(plain)) >= 1


def test_gzip_is_detected_by_its_magic_bytes_or_a_bare_gz_suffix():
    packed = gzip.compress("Séoul".encode())
    assert parse_document(packed, source="a.txt", doc_id="a", suffix=".txt")[0].raw_text == "Séoul"
    assert parse_document(packed, source="a.txt.gz", doc_id="a", suffix=".gz")[0].raw_text == "Séoul"


@pytest.mark.parametrize(
    "data",
    [gzip.compress(b"texte" * 100)[:-6], gzip.compress(b"texte" * 100)[:-8] + b"\0\0\0\0\xf4\x01\0\0", b"texte"],
    ids=["truncated", "bad checksum", "not gzip"],
)
def test_corrupt_gzip_is_an_error(data):
    with pytest.raises(ValueError, match=r"^a\.txt\.gz: not a valid gzip file \(.+\)$"):
        parse_document(data, source="a.txt.gz", doc_id="a", suffix=".txt.gz")


def test_gzip_bomb_is_refused():
    with pytest.raises(ValueError, match="unpacks to more than 1000 bytes"):
        parse_document(gzip.compress(b" " * 5000), source="a.txt.gz", doc_id="a", suffix=".txt.gz", max_unpacked=1000)


@pytest.mark.parametrize("suffix", [".pdf", ".gz", ".json", ""])
def test_unsupported_file_types_name_the_allowed_ones(suffix):
    with pytest.raises(ValueError, match="unsupported file type") as err:
        parse_document(b"x", source="x" + suffix, doc_id="x", suffix=suffix)
    assert ", ".join(SUFFIXES) in str(err.value)


# -------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-18", "2024-06-18"),
        ("2024-06-18T08:00:00+02:00", "2024-06-18T08:00:00+02:00"),
        ("2024-06-18T06:00:00Z", "2024-06-18T06:00:00+00:00"),
        ("2024-06-18 08:00", "2024-06-18T08:00:00"),
        ("20240618", "2024-06-18"),
        ("18/06/2024", "2024-06-18"),
        ("18.06.2024 à 08h05", "2024-06-18T08:05:00"),
        ("2024/06/18", "2024-06-18"),
        ("mardi 18 juin 2024", "2024-06-18"),
        ("1er août 2024", "2024-08-01"),
        ("Publié le 3 févr. 2024 à 14h30", "2024-02-03T14:30:00"),
        ("June 18, 2024", "2024-06-18"),
        ("18 June 2024", "2024-06-18"),
        ("Tue, 18 Jun 2024 08:00:00 +0200", "2024-06-18T08:00:00+02:00"),
        ("31/02/2024", ""),
        # a month or a year alone, in ISO form, is what is known of the date
        ("2020-08", "2020-08"),
        ("2020", "2020"),
        ("2020-13", ""),
        ("1066", ""),
        ("juin 2024", ""),
        ("hier", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_date(value, expected):
    assert normalise_date(value) == expected


# ----------------------------------------------------------------- language


def fixture_text(name: str) -> str:
    (article,) = parse(name)
    return article.raw_text


@pytest.mark.parametrize(("name", "french"), [(name, True) for name in FRENCH_FIXTURES] + [("english.txt", False)])
def test_is_french_on_the_fixtures(name, french):
    assert is_french(fixture_text(name)) is french


def test_detect_language():
    language, probability = detect_language(fixture_text("english.txt"))
    assert language == "en" and probability > 0.9
    assert detect_language(fixture_text("dup_a.txt"))[0] == "fr"
    assert detect_language("") == ("", 0.0)
    assert detect_language("12 345 -- !!") == ("", 0.0)


def test_short_texts_count_as_french():
    assert is_french("Breaking news: Putin lands in Pyongyang.")  # fewer than 200 letters
    assert not is_french("Breaking news: Putin lands in Pyongyang.", min_letters=10)


# ----------------------------------------------------------- near-duplicates


def test_shingles_ignore_case_accents_and_punctuation():
    assert shingles("La Corée du Nord, selon Séoul.") == shingles("la coree du nord selon SEOUL")
    assert len(shingles("un deux trois quatre cinq six")) == 2
    assert len(shingles("trop court")) == 1
    assert shingles(" ... ") == set()
    with pytest.raises(ValueError, match="at least 1; got 0"):
        shingles("texte", k=0)


def test_shingles_of_a_text_seen_before_are_a_new_set():
    text = fixture_text("dup_a.txt")
    first = shingles(text)
    first.clear()
    assert shingles(text) == shingles(text + " ") != set()


def test_find_duplicates_flags_exactly_the_syndicated_pair():
    items = [(name, shingles(fixture_text(name + ".txt"))) for name in ("dup_a", "other", "dup_b")]
    assert find_duplicates(items) == {"dup_b": "dup_a"}
    assert find_duplicates(reversed(items)) == {"dup_a": "dup_b"}


def words(rng: random.Random, n: int) -> str:
    return " ".join(f"mot{rng.randrange(5000)}" for _ in range(n))


def test_find_duplicates_catches_a_story_inside_a_longer_page_and_points_to_the_first():
    rng = random.Random(1)
    story = words(rng, 150)
    items = [
        ("wire", shingles(story)),
        ("page", shingles(words(rng, 120) + " " + story + " " + words(rng, 200))),
        ("copy", shingles("Par la rédaction " + story)),
        ("tiny", shingles(story.split()[0] + " " + story.split()[1])),
    ]
    assert find_duplicates(items) == {"page": "wire", "copy": "wire"}


def test_duplicate_index_answers_one_document_at_a_time():
    index = DuplicateIndex()
    answers = [index.add(name, shingles(fixture_text(name + ".txt"))) for name in ("dup_a", "other", "dup_b")]
    assert answers == [None, None, "dup_a"]


def test_find_duplicates_threshold():
    with pytest.raises(ValueError, match=r"threshold must be in \(0, 1\]; got 1.5"):
        find_duplicates([], threshold=1.5)
    a, b = shingles(fixture_text("dup_a.txt")), shingles(fixture_text("dup_b.txt"))
    assert 0.9 <= overlap(a, b) < 0.99
    assert find_duplicates([("a", a), ("b", b)], threshold=0.99) == {}


def brute_force_duplicates(items: list[tuple[str, set[int]]], threshold: float, min_shingles: int) -> dict[str, str]:
    """The definition, pair by pair: what the index must reproduce."""
    originals: list[tuple[str, set[int]]] = []
    found = {}
    for doc_id, s in items:
        if len(s) < min_shingles:
            continue
        match = next((o for o, t in originals if overlap(s, t) >= threshold), None)
        if match is None:
            originals.append((doc_id, s))
        else:
            found[doc_id] = match
    return found


def test_find_duplicates_agrees_with_brute_force_on_a_corpus():
    rng = random.Random(7)
    docs = [f"{words(rng, 10)} {words(rng, rng.randrange(30, 300))} {words(rng, 10)}" for _ in range(300)]
    for i in rng.sample(range(300), 40):  # syndicated copies with new furniture, some trimmed
        body = docs[i].split()[10:-10]
        docs.append(f"{words(rng, 8)} {' '.join(body[: len(body) - rng.randrange(3)])} {words(rng, 3)}")
    common = "abonnez vous a notre lettre d information pour ne rien manquer de l actualite"
    docs = [f"{d} {common}" if rng.random() < 0.5 else d for d in docs]
    items = [(f"d{i}", shingles(d)) for i, d in enumerate(docs)]
    expected = brute_force_duplicates(items, 0.9, 20)
    assert len(expected) >= 20
    assert find_duplicates(items) == expected
