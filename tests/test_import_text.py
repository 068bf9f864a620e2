"""Delimited text that used to be read silently wrong: legacy and mixed encodings, runaway
quotes, absurd widths and single-line files. Whole-file and streamed reading must agree."""

from __future__ import annotations

import time

import pytest

from atlas.ingest import stream as import_stream
from atlas.ingest.encoding import decode_bytes
from atlas.ingest.importer import ImportFailure, Limits
from atlas.ingest.reading import read_bytes
from tests.hostile import csv as hostile


def streamed(data: bytes, tmp_path, **kwargs):
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    return list(import_stream.csv_blocks(path, block_bytes=64, **kwargs))


@pytest.mark.parametrize(("build", "codec", "rows"), [
    (hostile.polish_cp1250, "cp1250", hostile.POLISH),
    (hostile.greek_cp1253, "cp1253", hostile.GREEK),
])
def test_legacy_code_pages_are_detected_and_reported(build, codec, rows, tmp_path):
    raw = read_bytes(build(), "f.csv")
    assert raw.encoding == codec
    assert codec in raw.describe()
    assert raw.cells["name"].tolist() == [r[0] for r in rows]
    assert raw.cells["city"].tolist() == [r[1] for r in rows]
    blocks = streamed(build(), tmp_path)
    assert blocks[0].encoding == codec
    assert [n for b in blocks for n in b.cells["name"]] == [r[0] for r in rows]


def test_encoding_can_be_chosen(tmp_path):
    data = hostile.polish_cp1250()
    raw = read_bytes(data, "f.csv", encoding="iso8859-2")
    assert raw.encoding == "iso8859-2"
    assert raw.cells["name"].iloc[1] == data.splitlines()[2].decode("iso8859-2").split(";")[0]
    assert streamed(data, tmp_path, encoding="iso8859-2")[0].encoding == "iso8859-2"
    with pytest.raises(ImportFailure, match="unknown text encoding"):
        read_bytes(data, "f.csv", encoding="klingon")


def test_mixed_utf8_keeps_its_utf8_rows_and_lists_the_others(tmp_path):
    raw = read_bytes(hostile.mixed_utf8(), "f.csv")
    assert raw.encoding == "utf-8"
    assert raw.cells["name"].tolist() == ["Coopérative du Pays", "Société Générale de Nîmes",
                                          "Café associatif", "Épicerie solidaire"]
    [warning] = [w for w in raw.warnings if "not valid utf-8" in w]
    assert "line 3" in warning and "cp1252" in warning
    blocks = streamed(hostile.mixed_utf8(), tmp_path)
    assert blocks[0].warnings == raw.warnings
    assert [n for b in blocks for n in b.cells["name"]] == raw.cells["name"].tolist()


def test_an_uncertain_guess_says_so():
    text = "nome;città\nSocietà Cooperativa Più;Forlì\n"
    decoded, chosen = decode_bytes(text.encode("latin-1"))
    assert decoded == text and chosen.codec == "cp1252"
    assert any("guessed as cp1252" in w for w in chosen.warnings())


def test_an_unbalanced_quote_no_longer_swallows_rows(tmp_path):
    raw = read_bytes(hostile.unbalanced_quote(), "f.csv")
    assert raw.read == 4  # four data lines, four rows accounted for
    assert raw.cells["name"].tolist() == ["Coop Sole", "Coop Terra", "Coop Mare"]
    [rejected] = raw.rejected
    assert rejected["line"] == 3 and "quote" in rejected["reason"]
    assert "lines 3–5" in rejected["reason"]
    blocks = streamed(hostile.unbalanced_quote(), tmp_path)
    assert [r for b in blocks for r in b.rejected] == raw.rejected
    assert [n for b in blocks for n in b.cells["name"]] == raw.cells["name"].tolist()


def test_line_breaks_inside_quoted_descriptions_are_kept():
    data = b'name,note,city\nA,"Via Roma 1,\n40100 Bologna",Bologna\nB,x,Roma\n'
    raw = read_bytes(data, "f.csv")
    assert raw.rejected == [] and raw.cells["note"].iloc[0] == "Via Roma 1,\n40100 Bologna"


def test_a_long_quoted_field_loses_only_its_own_line():
    raw = read_bytes(hostile.long_field(), "f.csv")
    assert raw.cells["name"].tolist() == ["B", "C"]
    assert raw.rejected[0]["line"] == 2 and raw.read == 3


def test_quotes_on_every_line_end_quickly():
    started = time.perf_counter()
    raw = read_bytes(hostile.quotes_everywhere(), "f.csv")
    assert time.perf_counter() - started < 10
    assert raw.read == len(raw.cells) + len(raw.rejected) > 10_000
    assert "the rest of the file is not read" in raw.rejected[-1]["reason"]


def test_too_many_columns_is_refused_at_once(tmp_path):
    started = time.perf_counter()
    with pytest.raises(ImportFailure, match="100,000 columns; the limit is 1,000"):
        read_bytes(hostile.wide(), "f.csv")
    with pytest.raises(ImportFailure, match="100,000 columns"):
        streamed(hostile.wide(), tmp_path)
    assert time.perf_counter() - started < 10
    assert read_bytes(hostile.wide(), "f.csv", limits=Limits(max_columns=200_000)).read == 1


def test_a_single_long_line_says_what_it_is(tmp_path):
    for read in (lambda: read_bytes(hostile.one_line(), "f.csv"),
                 lambda: streamed(hostile.one_line(), tmp_path)):
        with pytest.raises(ImportFailure) as err:
            read()
        assert "a single line of 10.0 MB (no line break)" in str(err.value)
        assert "empty" not in str(err.value)
