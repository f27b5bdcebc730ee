"""RIS notes (N1) are kept verbatim in `notes`: Rayyan's RIS export carries its decisions there
("RAYYAN-INCLUSION: {...} | RAYYAN-LABELS: ..."), one N1 line per note."""

from __future__ import annotations

from references.parsers import read_file

RAYYAN_RIS = """TY  - JOUR
TI  - Ivonescimab versus pembrolizumab for PD-L1-positive non-small cell lung cancer
AU  - Xiong, Anwen
PY  - 2025
N1  - RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Maybe"} | RAYYAN-LABELS: RCT
N1  - USER-NOTES: {"Alice"=>["phase 3"]}
ER  -

TY  - JOUR
TI  - A record without notes
ER  -
"""


def test_the_n1_notes_of_a_ris_record_are_joined_with_newlines(tmp_path):
    path = tmp_path / "rayyan.ris"
    path.write_text(RAYYAN_RIS)
    first, second = list(read_file(path).entries())
    assert first.notes == (
        'RAYYAN-INCLUSION: {"Alice"=>"Included", "Bob"=>"Maybe"} | RAYYAN-LABELS: RCT\n'
        'USER-NOTES: {"Alice"=>["phase 3"]}'
    )
    assert first.authors == ["Xiong, Anwen"]
    assert second.notes == ""
