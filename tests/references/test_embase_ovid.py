"""Embase's and Ovid's exports: which import, and which are refused with what to do instead.

The files are reconstructed in the layout of real exports (invented records; see
tests/data/MANIFEST.tsv for the real file each follows).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from references.parsers import ImportFileError, ParsedReference, read_file

DATA = Path(__file__).resolve().parents[1] / "data"

# Ovid's RIS export, as Ovid MEDLINE writes it: the PMID is the accession number (AN).
OVID_MEDLINE_RIS = """TY  - JOUR
DB  - Ovid MEDLINE(R) ALL
AN  - 9512345
T1  - Oral rehydration solution of reduced osmolarity in adults with cholera.
A1  - Dubois, Anne
A1  - Moreau, Pierre
Y1  - 1998//
N2  - Reduced-osmolarity oral rehydration solution was compared with the standard solution.
JF  - Journal of Diarrhoeal Research
JA  - J Diarrhoeal Res
VL  - 14
IS  - 1
SP  - 33
EP  - 39
SN  - 0000-0000
M3  - Journal Article
UR  - http://ovidsp.ovid.com/ovidweb.cgi?T=JS&PAGE=reference&D=medall&NEWS=N&AN=9512345
DO  - https://dx.doi.org/10.5555/jdr.1998.33
ER  -

TY  - JOUR
DB  - Embase
AN  - 2011234567
T1  - Probiotic Lactobacillus rhamnosus GG for antibiotic-associated diarrhoea.
A1  - Rossi M.
Y1  - 2021//
JF  - Gut Microbes Reports
M3  - Conference Abstract
ER  -
"""


def test_an_embase_com_ris_export_imports_with_its_fields():
    parsed = read_file(DATA / "embase/reconstructed/embase_com.ris")
    trial, abstract = parsed.entries()
    assert parsed.format == "ris"
    assert isinstance(trial, ParsedReference)
    assert trial.title.startswith("Zinc supplementation for acute diarrhoea")
    assert trial.authors == ["Okafor, C.N.", "Lindqvist, M.", "Tanaka, H."]
    assert (trial.journal, trial.year, trial.volume, trial.issue) == (
        "Tropical Medicine and International Health",
        2024,
        "29",
        "5",
    )
    assert trial.doi == "10.1111/tmi.13999"
    assert trial.pmid == "38501234"  # Embase.com's C5: the MEDLINE PMID of a shared record
    assert trial.abstract.startswith("Background: Zinc is recommended")
    assert (abstract.year, abstract.doi) == (2021, "10.5555/gmr.2021.1002")
    assert "Conference Abstract" in abstract.publication_types


def test_an_ovid_ris_export_imports_with_the_pmid_of_medline_records_only(tmp_path):
    path = tmp_path / "ovid.ris"
    path.write_text(OVID_MEDLINE_RIS)
    medline, embase = read_file(path).entries()
    assert (medline.pmid, medline.doi, medline.year) == ("9512345", "10.5555/jdr.1998.33", 1998)
    assert (medline.journal, medline.pages) == ("Journal of Diarrhoeal Research", "33-39")
    assert embase.pmid == ""  # Embase's accession number is not a PMID


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("ovid/reconstructed/ovid_embase_direct_export.cgi", "tagged"),
        ("ovid/reconstructed/ovid_labelled_display.txt", "labelled"),
    ],
)
@pytest.mark.parametrize("file_format", ["auto", "ris"])
def test_ovids_own_text_exports_are_refused_saying_to_export_ris(name, kind, file_format):
    with pytest.raises(ImportFileError) as refused:
        read_file(DATA / name, format=file_format)
    message = str(refused.value)
    assert message.startswith(f"This is an export in Ovid's own {kind} text format")
    assert "choosing the RIS format" in message
    assert "XML" not in message  # "<1. >" starts the file, but it is not XML
