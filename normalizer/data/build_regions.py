"""Rebuild ``regions.tsv.gz`` from the ``db/wilayah.sql`` dump of github.com/cahyadsn/wilayah.

Run by hand when a new Kepmendagri list is published (see ``NOTICE.md`` beside this file)::

    python normalizer/data/build_regions.py path/to/wilayah.sql normalizer/data/regions.tsv.gz

The output has one line per region, ``code<TAB>name``, sorted by code. Parent and level are
not stored: both follow from the Kemendagri code itself (its dotted prefix is the parent; the
number of parts is the level; a kabupaten/kota code from 71 up is a kota).
"""

from __future__ import annotations

import gzip
import re
import sys
from pathlib import Path

#: one ``('code','name')`` tuple of the SQL dump; quotes inside a name are doubled ('')
_ROW = re.compile(r"\('([0-9.]+)','((?:[^'\\]|'')*)'\)")
_CODE = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")


def parse_dump(sql: str) -> list[tuple[str, str]]:
    """Every (code, name) row of the dump, checked, with doubled quotes and spaces cleaned."""
    rows: dict[str, str] = {}
    for code, raw_name in _ROW.findall(sql):
        if not _CODE.fullmatch(code):
            raise ValueError(f"not a Kemendagri code: {code!r}")
        name = " ".join(raw_name.replace("''", "'").replace("\u2019", "'").split())
        if not name or "\t" in name:
            raise ValueError(f"bad name for {code}: {raw_name!r}")
        rows[code] = name
    for code in rows:
        parent = code.rpartition(".")[0]
        if parent and parent not in rows:
            raise ValueError(f"{code} has no parent {parent} in the dump")
    return sorted(rows.items())


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    rows = parse_dump(Path(argv[1]).read_text(encoding="utf-8"))
    text = "".join(f"{code}\t{name}\n" for code, name in rows)
    # no file name and no time in the gzip header: the same dump always gives the same bytes
    with open(argv[2], "wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as out:
        out.write(text.encode("utf-8"))
    print(f"{len(rows)} regions -> {argv[2]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
