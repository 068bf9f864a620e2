"""Hostile and careless delimited files (built by code; see tests/hostile/__init__.py)."""

from __future__ import annotations

from collections.abc import Callable

POLISH = [("Spółdzielnia Socjalna Razem", "Łódź", "PL"),
          ("Kooperatywa Spożywcza Dobrze", "Kraków", "PL"),
          ("Fundacja Pomocy Społecznej", "Gdańsk", "PL"),
          ("Spółdzielnia Pracy Żyrardów", "Żyrardów", "PL"),
          ("Stowarzyszenie Ekologiczne Źródło", "Wrocław", "PL")]
GREEK = [("Κοινωνική Συνεταιριστική Επιχείρηση Αλληλεγγύη", "Αθήνα", "GR"),
         ("Αγροτικός Συνεταιρισμός Κρήτης", "Ηράκλειο", "GR"),
         ("Συνεταιρισμός Γυναικών Ζαγορίου", "Ιωάννινα", "GR")]


def register(rows, header=("name", "city", "country"), sep=";") -> str:
    return "\n".join(sep.join(r) for r in [header, *rows]) + "\n"


def polish_cp1250() -> bytes:
    return register(POLISH).encode("cp1250")


def greek_cp1253() -> bytes:
    return register(GREEK).encode("cp1253")


def mixed_utf8() -> bytes:
    """UTF-8 rows with one Windows-1252 row in the middle (a file two tools appended to)."""
    return ("name;city;country\nCoopérative du Pays;Orléans;FR\n".encode()
            + "Société Générale de Nîmes;Nîmes;FR\n".encode("cp1252")
            + "Café associatif;Tours;FR\nÉpicerie solidaire;Bourges;FR\n".encode())


def unbalanced_quote() -> bytes:
    """Four data rows; a quote opened on line 3 and never closed would merge lines 3-5."""
    return (b'name,city,country\nCoop Sole,Bologna,IT\n"Coop Luna,Roma,IT\n'
            b"Coop Terra,Milano,IT\nCoop Mare,Napoli,IT\n")


def wide() -> bytes:
    """A header of 100,000 columns (the import used to take 88 s)."""
    return (",".join(f"c{i}" for i in range(100_000)) + "\n"
            + ",".join("x" for _ in range(100_000)) + "\n").encode()


def one_line() -> bytes:
    """10 MB on a single line with no delimiter (used to be reported as 'the file is empty')."""
    return b"x" * 10_000_000


def long_field() -> bytes:
    """A quoted field of 5 MB: csv's field limit; the rows after it must still be read."""
    return b'name,note\nA,"' + b"y" * 5_000_000 + b'\nB,ok\nC,ok\n'


def quotes_everywhere() -> bytes:
    """Every line opens a quote it does not close: a row-by-row runaway, 20,000 times."""
    return b"name,x\n" + b'"n,1\n' * 20_000


def formulas() -> bytes:
    return b"name,website\n=HYPERLINK(\"http://evil\"),http://x\n+1+1,@SUM(A1)\n"


FILES: dict[str, Callable[[], bytes]] = {
    "polish-cp1250.csv": polish_cp1250,
    "greek-cp1253.csv": greek_cp1253,
    "mixed-utf8.csv": mixed_utf8,
    "unbalanced-quote.csv": unbalanced_quote,
    "wide-100k-columns.csv": wide,
    "one-line-10mb.csv": one_line,
    "long-field-5mb.csv": long_field,
    "quotes-everywhere.csv": quotes_everywhere,
    "formulas.csv": formulas,
}
