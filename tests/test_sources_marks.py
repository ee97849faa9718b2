"""The sources table marks every inferred publisher and date, in the TSV as on screen."""

from __future__ import annotations

import json


def test_every_inferred_publisher_and_date_is_marked_in_the_table(kz) -> None:
    """Each source whose JSON marks its publisher or date inferred shows '(inferred)' in that TSV cell."""
    docs = json.loads(kz("sources", "-f", "json").stdout)
    lines = kz("sources").stdout.splitlines()
    header = lines[0].split("\t")
    split = [line.split("\t") for line in lines[1:]]
    rows = {cells[0]: dict(zip(header, cells, strict=True)) for cells in split}
    checked = 0
    for doc in docs:
        for field in ("publisher", "published"):
            if doc[field] and field in doc["inferred"]:
                assert rows[doc["id"]][field] == f"{doc[field]} (inferred)"
                checked += 1
            elif doc[field]:
                assert rows[doc["id"]][field] == doc[field]
    assert checked >= 2


def test_source_detail_marks_an_inferred_publisher(kz) -> None:
    """kz source shows the MJPS publisher with its mark, as the JSON carries it."""
    doc = json.loads(kz("source", "mcgill-kazakh-protests", "-f", "json").stdout)
    assert "publisher" in doc["inferred"]
    assert f"publisher\t{doc['publisher']} (inferred)" in kz("source", "mcgill-kazakh-protests").stdout
