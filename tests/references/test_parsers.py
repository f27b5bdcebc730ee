"""Reading literature files: real exports from tests/data (see tests/data/MANIFEST.tsv for where
each came from), and small fixtures written here for cases the corpus does not hold.

No database: the parsers are plain Python.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from references.parsers import (
    _PARSERS,
    FORMAT_LABELS,
    FORMATS,
    AbstractSection,
    ImportFileError,
    ParsedReference,
    UnreadableEntry,
    read_file,
)
from references.parsers.formats import FORMAT_NAMES

DATA = Path(__file__).resolve().parents[1] / "data"


def entries_of(path: Path | str, **kwargs) -> list:
    return list(read_file(path, **kwargs).entries())


def references_of(path: Path | str, **kwargs) -> list[ParsedReference]:
    entries = entries_of(path, **kwargs)
    assert all(isinstance(entry, ParsedReference) for entry in entries), entries
    return entries


def one(path: Path | str, **kwargs) -> ParsedReference:
    (reference,) = references_of(path, **kwargs)
    return reference


# --- Every literature file of the corpus: as many entries as its own tool reports -------------

# (file, format, entries the tool reports, of which UnreadableEntry). The tool counts were
# computed once: Bio.Entrez.read (PubmedArticle + PubmedBookArticle), Bio.Medline.parse,
# rispy.load (RisParser, or WokParser for the WoS file) and bibtexparser.parse_string
# (library.entries + library.failed_blocks).
CORPUS = [
    ("biopython/Entrez/pubmed1.xml", "pubmed-xml", 2, 0),  # Entrez.read: 2
    ("biopython/Entrez/pubmed2.xml", "pubmed-xml", 2, 0),  # Entrez.read: 2
    ("biopython/Entrez/pubmed4.xml", "pubmed-xml", 1, 0),  # Entrez.read: 1
    ("biopython/Entrez/pubmed5.xml", "pubmed-xml", 1, 0),  # Entrez.read: 1
    ("biopython/Entrez/pubmed6.xml", "pubmed-xml", 1, 0),  # Entrez.read: 1
    ("biopython/Entrez/pubmed7.xml", "pubmed-xml", 1, 0),  # Entrez.read: 1
    ("biopython/Medline/pubmed_result1.txt", "medline", 1, 0),  # Medline.parse: 1
    ("biopython/Medline/pubmed_result2.txt", "medline", 4, 0),  # Medline.parse: 4
    ("biopython/Medline/pubmed_result3.txt", "medline", 1, 0),  # Medline.parse: 1
    ("ris/rispy/example_basic.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_bom.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_custom_list_tags.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_empty_tag.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_extraneous_data.ris", "ris", 2, 0),  # rispy.load: 2
    ("ris/rispy/example_full.ris", "ris", 2, 0),  # rispy.load: 2
    ("ris/rispy/example_full_without_whitespace.ris", "ris", 2, 0),  # rispy.load: 2
    ("ris/rispy/example_full_write.ris", "ris", 2, 0),  # rispy.load: 2
    ("ris/rispy/example_multi_unknown_tags.ris", "ris", 1, 0),  # rispy.load: 1
    # rispy.load: 3 records, holding only notes (N1, N2): nothing identifies a work.
    ("ris/rispy/example_multiline.ris", "ris", 3, 3),
    ("ris/rispy/example_single_unknown_tag.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_starting_newlines.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_urls.ris", "ris", 4, 0),  # rispy.load: 4
    ("ris/rispy/example_utf_chars.ris", "ris", 1, 0),  # rispy.load: 1
    ("ris/rispy/example_wos.ris", "wos", 2, 0),  # rispy.load(implementation=WokParser): 2
    ("prisma/PRISMA2020_citation.ris", "ris", 1, 0),  # rispy.load: 1
    ("bibtex/python-bibtexparser/article_start_with_bom.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/article_with_protection_braces.bib", "bibtex", 1, 0),  # 1
    ("bibtex/python-bibtexparser/article_with_special_characters.bib", "bibtex", 1, 0),  # 1
    ("bibtex/python-bibtexparser/article_with_strings.bib", "bibtex", 1, 0),  # 1
    # bibtexparser: 117 entries + 1 failed block (a repeated key, read here with a warning).
    # 13 entries identify no work: 3 @Set entries, @MISC{pages1..9} holding only pages, and
    # @BOOK{list1} holding only a location.
    ("bibtex/python-bibtexparser/biber-examples.bib", "bibtex", 118, 13),
    ("bibtex/python-bibtexparser/book_capital_AND.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/comments_spaces_and_declarations.bib", "bibtex", 1, 0),  # 1
    ("bibtex/python-bibtexparser/crossref_entries.bib", "bibtex", 14, 0),  # 14 entries
    ("bibtex/python-bibtexparser/encoding.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/examples_bibtex.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/features.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/gbk_test.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/multiple_entries_and_comments.bib", "bibtex", 3, 0),  # 3
    ("bibtex/python-bibtexparser/traps.bib", "bibtex", 1, 0),  # 1 entry
    ("bibtex/python-bibtexparser/wrong.bib", "bibtex", 2, 0),  # 2 entries
    # bibtexparser: 0 entries + 1 failed block (no citation key): recovered here.
    ("bibtex/zotero-better-bibtex/endnote_should_parse.bib", "bibtex", 1, 0),
    ("bibtex/zotero-better-bibtex/percent_sign_95_preamble_96.bib", "bibtex", 1, 0),  # 1
    ("bibtex/zotero-better-bibtex/unparsed_author_names_92.bib", "bibtex", 1, 0),  # 1
    ("bibtex/zotero-better-bibtex/wrong_ring_above_1115.bib", "bibtex", 1, 0),  # 1
    # The labelled review simulate_screening is tested on imports as a plain CSV too.
    ("labelled/two_topics.csv", "csv", 20, 0),
    # Reconstructed in the layout of real exports (CC0; see MANIFEST.tsv): Web of Science
    # tagged files with tags outside rispy's list (rispy.load raises KeyError: 'UK' on each),
    # Scopus BibTeX, and one table per tool's header row (csv.reader: rows after the header).
    ("wos/reconstructed/savedrecs_current_tags.txt", "wos", 2, 0),  # PT..ER records: 2
    ("wos/reconstructed/zoological_record.ciw", "wos", 2, 0),  # PT..ER records: 2
    ("wos/reconstructed/biosis_unindented.txt", "wos", 1, 0),  # PT..ER records: 1
    ("bibtex/reconstructed/scopus_export.bib", "bibtex", 2, 0),  # entries + failed blocks: 2
    ("csv/pubmed/csv-pubmed-set.csv", "csv", 2, 0),
    ("csv/pubmed/pubmedID_table.csv", "csv", 2, 0),
    ("csv/wos/savedrecs_full_names.txt", "csv", 2, 0),
    ("csv/scopus/scopus.csv", "csv", 2, 0),
    ("csv/rayyan/articles.csv", "csv", 2, 0),
    ("csv/covidence/review_export.csv", "csv", 2, 0),
    ("csv/endnote/endnote_table.txt", "csv", 2, 0),
    ("csv/zotero/zotero_export.csv", "csv", 2, 0),
    ("csv/asreview/asreview_export.csv", "csv", 3, 0),
    # EndNote XML from JabRef's importer tests (the first written by Bookends): as many entries
    # as the file has <record> elements (lxml: len(tree.findall("records/record"))).
    ("endnote/jabref/EndnoteXmlImporterTestArticle.xml", "endnote-xml", 1, 0),
    ("endnote/jabref/EndnoteXmlImporterTestArticle2.xml", "endnote-xml", 2, 0),
    ("endnote/jabref/EndnoteXmlImporterTestLabelAndMultiTitle.xml", "endnote-xml", 3, 0),
    ("endnote/jabref/EndnoteXmlImporterTestReport.xml", "endnote-xml", 1, 0),
    # CSL-JSON from Better BibTeX's export tests: as many entries as json.load's list has items.
    ("csl-json/zotero-better-bibtex/pandoc_citation.csl.json", "csl-json", 4, 0),
    ("csl-json/zotero-better-bibtex/range_sign_3327.csl.json", "csl-json", 1, 0),
    ("csl-json/zotero-better-bibtex/creator_fields_365_825.csl.json", "csl-json", 7, 0),
    # Reconstructed in the layout of real exports (invented records, CC0; see MANIFEST.tsv).
    ("endnote/reconstructed/endnote20_pubmed_ovid_embase.xml", "endnote-xml", 4, 0),
    ("csl-json/reconstructed/zotero_csl_json.json", "csl-json", 4, 0),
    ("embase/reconstructed/embase_com.ris", "ris", 2, 0),  # rispy.load: 2
    ("transfer/rayyan/articles.csv", "csv", 6, 0),
    ("transfer/rayyan/articles.ris", "ris", 3, 0),
    ("transfer/asreview/asreview_result_nsclc.csv", "csv", 5, 0),
    ("transfer/asreview/asreview_relevant+not_seen+irrelevant_nsclc.csv", "csv", 3, 0),
    ("transfer/covidence/review_123456_excluded_csv_20250301101500.csv", "csv", 3, 0),
    ("transfer/covidence/review_123456_irrelevant_csv_20250301101500.csv", "csv", 2, 0),
]


@pytest.mark.parametrize(("name", "file_format", "count", "unreadable"), CORPUS)
def test_every_literature_file_gives_as_many_entries_as_its_own_tool_reports(
    name, file_format, count, unreadable
):
    parsed = read_file(DATA / name)
    entries = list(parsed.entries())
    assert parsed.format == file_format
    assert len(entries) == count
    assert sum(isinstance(entry, UnreadableEntry) for entry in entries) == unreadable
    assert [entry.position for entry in entries] == list(range(1, count + 1))
    for entry in entries:
        if isinstance(entry, ParsedReference):
            assert entry.raw.strip(), "every reference keeps its own text"
            assert entry.identifies_a_work()


def test_every_file_of_the_manifest_is_counted_or_refused_here():
    """A file added to tests/data with its MANIFEST row must be classified in this module."""
    rows = (DATA / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]
    manifest = {row.split("\t")[0] for row in rows if row.strip()}
    classified = {name for name, *_ in CORPUS} | {name for name, *_ in REFUSED}
    assert manifest - classified == set()
    assert all((DATA / name).is_file() for name in manifest)


# --- Every file that holds no literature: refused, saying why ---------------------------------

REFUSED = [
    ("biopython/Entrez/einfo1.xml", "einfo"),
    ("biopython/Entrez/einfo2.xml", "einfo"),
    ("biopython/Entrez/epost1.xml", "epost"),
    ("biopython/Entrez/epost2.xml", "“Invalid db name specified: nothing”"),
    ("biopython/Entrez/epost3.xml", "“Empty ID list; Nothing to store”"),
    ("biopython/Entrez/esearch1.xml", "list of PMIDs"),
    ("biopython/Entrez/esearch2.xml", "esearch"),
    ("biopython/Entrez/esearch3.xml", "esearch"),
    ("biopython/Entrez/esearch8.xml", "esearch"),
    ("biopython/Entrez/espell.xml", "espell"),
    ("biopython/Entrez/esummary1.xml", "esummary"),
    ("biopython/Entrez/esummary8.xml", "“Neither query_key nor id specified”"),
    ("biopython/Entrez/pubmed3.html", "web page (HTML)"),
    ("prisma/PRISMA.csv", "no title, abstract, PMID or DOI column"),
    ("biopython/LICENSE.rst", "does not look like a literature export"),
    ("ris/rispy/LICENSE", "does not look like a literature export"),
    ("prisma/LICENSE-PRISMA2020.md", "does not look like a literature export"),
    ("bibtex/python-bibtexparser/COPYING-v1", "does not look like a literature export"),
    ("bibtex/python-bibtexparser/LICENSE-main", "does not look like a literature export"),
    ("bibtex/zotero-better-bibtex/LICENSE", "does not look like a literature export"),
    ("endnote/jabref/LICENSE", "does not look like a literature export"),
    ("csl-json/zotero-better-bibtex/LICENSE", "does not look like a literature export"),
    ("ovid/reconstructed/ovid_embase_direct_export.cgi", "Ovid's own tagged text format"),
    ("ovid/reconstructed/ovid_labelled_display.txt", "Ovid's own labelled text format"),
]


@pytest.mark.parametrize(("name", "words"), REFUSED)
def test_a_file_that_holds_no_literature_is_refused_with_a_clear_sentence(name, words):
    with pytest.raises(ImportFileError) as refused:
        read_file(DATA / name)
    assert words in str(refused.value)


def test_an_eutilities_answer_is_refused_as_not_a_set_of_articles():
    with pytest.raises(ImportFileError, match="not a set of articles"):
        read_file(DATA / "biopython/Entrez/esearch1.xml")


def test_an_eutilities_error_document_is_refused_quoting_every_error():
    with pytest.raises(ImportFileError) as refused:
        read_file(DATA / "biopython/Entrez/epost3.xml")
    message = str(refused.value)
    assert "error message from PubMed's E-utilities" in message
    assert "Maximum ID value 18446744073709551615" in message


# --- Format from the content, never the name --------------------------------------------------


def test_ris_file_holding_medline_text_is_read_as_medline(tmp_path):
    path = tmp_path / "export.ris"
    path.write_bytes((DATA / "biopython/Medline/pubmed_result2.txt").read_bytes())
    parsed = read_file(path)
    assert parsed.format == "medline"
    assert len(list(parsed.entries())) == 4


def test_txt_file_holding_ris_is_read_as_ris(tmp_path):
    path = tmp_path / "savedrecs.txt"
    path.write_bytes((DATA / "ris/rispy/example_full.ris").read_bytes())
    assert read_file(path).format == "ris"


def test_wos_export_named_ris_is_read_as_web_of_science():
    assert read_file(DATA / "ris/rispy/example_wos.ris").format == "wos"


def test_txt_file_holding_bibtex_is_read_as_bibtex(tmp_path):
    path = tmp_path / "citations.txt"
    path.write_bytes((DATA / "bibtex/python-bibtexparser/book_capital_AND.bib").read_bytes())
    assert read_file(path).format == "bibtex"


@pytest.mark.parametrize(
    ("name", "forced", "looks_like"),
    [
        ("biopython/Medline/pubmed_result2.txt", "ris", "MEDLINE"),
        ("ris/rispy/example_full.ris", "medline", "RIS"),
        ("ris/rispy/example_wos.ris", "ris", "Web of Science"),
        ("biopython/Entrez/pubmed2.xml", "bibtex", "PubMed XML"),
        ("ris/rispy/example_basic.ris", "pubmed-xml", "RIS"),
        ("bibtex/python-bibtexparser/traps.bib", "csv", "BibTeX"),
    ],
)
def test_a_forced_format_that_does_not_match_says_what_the_content_looks_like(
    name, forced, looks_like
):
    with pytest.raises(ImportFileError) as refused:
        read_file(DATA / name, format=forced)
    assert "You chose" in str(refused.value)
    assert looks_like in str(refused.value)


@pytest.mark.parametrize(
    ("name", "file_format"),
    [(name, file_format) for name, file_format, *_ in CORPUS[:1] + CORPUS[6:7] + CORPUS[9:10]],
)
def test_a_forced_format_that_matches_is_read(name, file_format):
    assert read_file(DATA / name, format=file_format).format == file_format


def test_a_forced_format_settles_a_file_whose_first_signature_is_another_format(tmp_path):
    path = tmp_path / "mixed.txt"
    path.write_text(
        "@misc{note, title={Not the export}}\n\n"
        + (DATA / "ris/rispy/example_basic.ris").read_text()
    )
    assert read_file(path).format == "bibtex"
    assert one(path, format="ris").title == "A Mathematical Theory of Communication"


def test_an_unknown_format_name_is_a_programming_error():
    with pytest.raises(ValueError):
        read_file(DATA / "ris/rispy/example_basic.ris", format="endnote")


def test_formats_are_the_eight_the_project_supports():
    assert FORMATS == (
        "pubmed-xml",
        "medline",
        "ris",
        "endnote-xml",
        "wos",
        "bibtex",
        "csl-json",
        "csv",
    )


def test_format_labels_are_the_stored_choices():
    # Stored as model choices (screening's FileFormat): changing one would need a migration.
    assert dict(FORMAT_LABELS) == {
        "pubmed-xml": "PubMed XML",
        "medline": "MEDLINE / .nbib",
        "ris": "RIS",
        "endnote-xml": "EndNote XML",
        "wos": "Web of Science tagged",
        "bibtex": "BibTeX",
        "csl-json": "CSL-JSON (Zotero, Mendeley)",
        "csv": "CSV",
    }
    assert tuple(FORMAT_LABELS) == FORMATS


def test_every_format_has_a_reader_and_a_name_for_sentences():
    assert tuple(_PARSERS) == FORMATS
    assert tuple(FORMAT_NAMES) == FORMATS


# --- PubMed XML -------------------------------------------------------------------------------


def test_a_structured_abstract_keeps_its_labelled_sections():
    reference = one(DATA / "biopython/Entrez/pubmed4.xml")
    assert [s.label for s in reference.abstract_sections] == [
        "OBJECTIVE",
        "DESIGN",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert reference.abstract.startswith("OBJECTIVE: Telomere shortening occurs")
    assert "\n\nDESIGN: We measured prediagnostic" in reference.abstract
    # Inline markup reduced to its text: p<sub>trend</sub>, r<sup>2</sup>&lt;0.25
    assert "ptrend=0.048" in reference.abstract_sections[2].text
    assert "r2<0.25" in reference.abstract_sections[2].text


def test_a_pubmed_article_gives_its_citation_ids_and_indexing():
    reference = one(DATA / "biopython/Entrez/pubmed4.xml")
    assert reference.title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
        "pancreatic cancer."
    )
    assert reference.authors[:2] == ["Bao, Ying", "Prescott, Jennifer"]
    assert (reference.journal, reference.year) == ("Gut", 2017)
    assert (reference.volume, reference.issue, reference.pages) == ("66", "6", "1116-1122")
    assert (reference.pmid, reference.pmcid) == ("27797938", "PMC5442267")
    assert reference.doi == "10.1136/gutjnl-2016-312510"
    assert "Observational Study" in reference.publication_types
    assert "Pancreatic Neoplasms" in reference.mesh_terms
    assert reference.language == "eng"
    assert reference.raw.startswith("<PubmedArticle>") and reference.raw.endswith(
        "</PubmedArticle>"
    )


def test_mesh_terms_are_descriptor_names_without_qualifiers():
    second = references_of(DATA / "biopython/Entrez/pubmed1.xml")[1]
    assert "Chromatium" in second.mesh_terms  # qualified by "enzymology" in the file
    assert not any("/" in term for term in second.mesh_terms)
    assert second.doi == "10.1016/0005-2795(76)90109-4"


def test_a_collective_author_is_kept_as_written_in_its_place():
    reference = one(DATA / "biopython/Entrez/pubmed7.xml")
    assert reference.authors[-1] == "Canadian Respiratory Research Network"
    assert reference.authors[:2] == ["Guo, Fumin", "Capaldi, Dante"]


def test_an_orcid_bearing_author_is_read_like_any_other():
    reference = one(DATA / "biopython/Entrez/pubmed7.xml")
    assert "Fenster, Aaron" in reference.authors  # carries <Identifier Source="ORCID">
    assert not any("orcid" in author.lower() for author in reference.authors)


def test_mathml_in_an_abstract_is_reduced_to_its_text():
    reference = one(DATA / "biopython/Entrez/pubmed6.xml")
    assert "maximal oxygen uptake ( V.O2max ) 67.6" in reference.abstract
    assert "mml" not in reference.abstract and "  " not in reference.abstract
    assert reference.title.startswith('A "Blood Relationship" Between the Overlooked')


def test_mathml_in_a_title_is_reduced_to_its_text(tmp_path):
    path = tmp_path / "mathml.xml"
    path.write_text(
        (DATA / "biopython/Entrez/pubmed1.xml")
        .read_text()
        .replace(
            "Magnetic studies of Chromatium flavocytochrome C552.",
            'Magnetic studies of <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML">\n'
            "  <mml:msub>\n    <mml:mi>C</mml:mi>\n    <mml:mn>552</mml:mn>\n  </mml:msub>\n"
            "</mml:math>\n flavocytochrome <i>in vitro</i>.",
        )
    )
    second = references_of(path)[1]
    assert second.title.startswith("Magnetic studies of C552 flavocytochrome in vitro.")


PUBMED_WITH_TRIALS = """<?xml version="1.0" ?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">
<PubmedArticleSet>
<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">31000001</PMID>
<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><Volume>12</Volume>
<PubDate><MedlineDate>2019 Dec-2020 Jan</MedlineDate></PubDate></JournalIssue>
<Title>Trials</Title></Journal><ArticleTitle>A randomised trial.</ArticleTitle>
<Abstract><AbstractText Label="TRIAL REGISTRATION">ClinicalTrials.gov NCT01234567 and
ISRCTN12345678; EudraCT 2015-001234-56.</AbstractText></Abstract>
<AuthorList><Author ValidYN="Y"><LastName>Smith</LastName><Initials>J</Initials></Author>
<Author ValidYN="N"><LastName>Wrong</LastName><ForeName>Name</ForeName></Author></AuthorList>
<DataBankList CompleteYN="Y">
<DataBank><DataBankName>ClinicalTrials.gov</DataBankName><AccessionNumberList>
<AccessionNumber>NCT01234567</AccessionNumber><AccessionNumber>nct07654321</AccessionNumber>
</AccessionNumberList></DataBank>
<DataBank><DataBankName>GENBANK</DataBankName><AccessionNumberList>
<AccessionNumber>AB123456</AccessionNumber></AccessionNumberList></DataBank>
</DataBankList></Article></MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">31000001</ArticleId></ArticleIdList>
<ReferenceList><Reference><Citation>Cited work.</Citation><ArticleIdList>
<ArticleId IdType="doi">10.9999/cited.work</ArticleId></ArticleIdList></Reference></ReferenceList>
</PubmedData></PubmedArticle>
<PubmedBookArticle><BookDocument><PMID Version="1">20301295</PMID>
<ArticleIdList><ArticleId IdType="bookaccession">NBK1116</ArticleId></ArticleIdList>
<Book><Publisher><PublisherName>University of Washington, Seattle</PublisherName></Publisher>
<BookTitle book="gene">GeneReviews</BookTitle><PubDate><Year>1993</Year></PubDate>
<AuthorList Type="editors">
<Author><LastName>Adam</LastName><ForeName>Margaret P</ForeName></Author></AuthorList>
</Book><ArticleTitle book="gene" part="a-thal">Alpha-Thalassemia</ArticleTitle>
<Language>eng</Language>
<AuthorList Type="authors">
<Author><LastName>Tamary</LastName><ForeName>Hannah</ForeName></Author></AuthorList>
<PublicationType UI="D016454">Review</PublicationType>
<Abstract>
<AbstractText Label="CLINICAL CHARACTERISTICS">Alpha-thalassemia has two forms.</AbstractText>
<AbstractText Label="DIAGNOSIS">By molecular testing.</AbstractText></Abstract>
</BookDocument><PubmedBookData><PublicationStatus>ppublish</PublicationStatus>
<ArticleIdList><ArticleId IdType="pubmed">20301295</ArticleId></ArticleIdList></PubmedBookData>
</PubmedBookArticle>
</PubmedArticleSet>
"""


def test_registry_ids_come_from_trial_databanks_and_the_abstract(tmp_path):
    path = tmp_path / "trials.xml"
    path.write_text(PUBMED_WITH_TRIALS)
    article, _ = references_of(path)
    assert article.registry_ids == [
        "NCT01234567",
        "NCT07654321",
        "ISRCTN12345678",
        "2015-001234-56",
    ]
    assert article.year == 2019
    assert article.authors == ["Smith, J"]  # the author PubMed marks invalid is left out
    assert article.doi == "", "a cited work's DOI is not the article's"


def test_a_registry_page_gives_its_registry_id_from_its_address(tmp_path):
    path = tmp_path / "registry.ris"
    path.write_text(
        "TY  - ELEC\nTI  - Clinical Study of Ivonescimab for First-line Treatment\n"
        "UR  - https://clinicaltrials.gov/study/NCT05899608\nER  - \n"
        "TY  - ELEC\nTI  - A page that cites a trial\n"
        "UR  - https://example.org/news/NCT01234567\nER  - \n"
    )
    registry_page, other_page = references_of(path)
    assert registry_page.registry_ids == ["NCT05899608"]
    assert other_page.registry_ids == []  # only a registry's own address names its trial


def test_a_pubmed_book_chapter_is_read_with_its_book(tmp_path):
    path = tmp_path / "book.xml"
    path.write_text(PUBMED_WITH_TRIALS)
    _, chapter = references_of(path)
    assert (chapter.title, chapter.journal, chapter.year) == (
        "Alpha-Thalassemia",
        "GeneReviews",
        1993,
    )
    assert chapter.authors == ["Tamary, Hannah"]
    assert chapter.pmid == "20301295"
    assert chapter.publication_types == ["Review"]
    assert chapter.abstract_sections[0] == AbstractSection(
        "CLINICAL CHARACTERISTICS", "Alpha-thalassemia has two forms."
    )


def test_a_pubmed_file_cut_in_the_middle_of_a_record_is_refused_as_truncated(tmp_path):
    text = (DATA / "biopython/Entrez/pubmed2.xml").read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(ImportFileError, match="middle of a record: it looks truncated"):
        entries_of(path)


def test_a_truncated_pubmed_file_streams_the_records_before_the_cut(tmp_path):
    text = (DATA / "biopython/Entrez/pubmed2.xml").read_text()
    path = tmp_path / "cut.xml"
    path.write_text(text[: text.index("</PubmedArticle>") + 300])
    entries = read_file(path).entries()
    assert next(entries).pmid == "11748933"
    with pytest.raises(ImportFileError, match="truncated"):
        next(entries)


def test_a_damaged_pubmed_file_says_where(tmp_path):
    text = (DATA / "biopython/Entrez/pubmed1.xml").read_text()
    path = tmp_path / "damaged.xml"
    path.write_text(text.replace("</ArticleTitle>", "</ArticleTitel>", 1))
    with pytest.raises(ImportFileError, match="damaged at line 4"):
        entries_of(path)


def test_a_pubmed_article_set_without_articles_is_refused(tmp_path):
    path = tmp_path / "none.xml"
    path.write_text('<?xml version="1.0" ?>\n<PubmedArticleSet>\n</PubmedArticleSet>\n')
    with pytest.raises(ImportFileError, match="No records were found"):
        entries_of(path)


# --- XML safety -------------------------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>&lol9;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>&xxe;</ArticleTitle></Article></MedlineCitation></PubmedArticle></PubmedArticleSet>
"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE PubmedArticleSet SYSTEM "file:///etc/passwd">
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>
<ArticleTitle>Title &xxe; end</ArticleTitle></Article></MedlineCitation></PubmedArticle>
</PubmedArticleSet>
"""


def _passwd_lines() -> list[str]:
    passwd = Path("/etc/passwd")
    lines = passwd.read_text().splitlines() if passwd.exists() else []
    return [line for line in lines if line.strip()] or ["root:x:0:0"]


def test_a_billion_laughs_file_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.xml"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(ImportFileError, match="declares entities"):
        read_file(path)


@pytest.mark.parametrize("file_format", ["auto", "pubmed-xml"])
def test_an_external_entity_file_is_refused_and_never_reads_the_local_file(tmp_path, file_format):
    path = tmp_path / "xxe.xml"
    path.write_text(EXTERNAL_ENTITY)
    with pytest.raises(ImportFileError) as refused:
        read_file(path, format=file_format)
    assert "declares entities" in str(refused.value)
    assert not any(line in str(refused.value) for line in _passwd_lines())


def test_an_external_dtd_is_never_loaded(tmp_path):
    path = tmp_path / "dtd.xml"
    path.write_text(EXTERNAL_DTD)
    try:
        entries = entries_of(path)
    except ImportFileError as refused:
        entries = [str(refused)]
    text = repr(entries)
    assert not any(line in text for line in _passwd_lines())


# --- MEDLINE ----------------------------------------------------------------------------------


def test_medline_full_author_names_are_preferred_to_short_ones():
    first = references_of(DATA / "biopython/Medline/pubmed_result2.txt")[0]
    assert first.authors == ["Casbon, James A", "Crooks, Gavin E", "Saqi, Mansoor A S"]
    assert (first.pmid, first.pmcid, first.doi) == (
        "16403221",
        "PMC1373603",
        "10.1186/1471-2105-7-10",
    )
    assert (first.journal, first.year, first.volume, first.pages) == (
        "BMC bioinformatics",
        2006,
        "7",
        "10",
    )
    assert [s.label for s in first.abstract_sections] == ["BACKGROUND", "RESULTS", "CONCLUSION"]
    assert first.raw.startswith("PMID- 16403221") and first.raw.endswith(
        "SO  - BMC Bioinformatics. 2006 Jan 10;7:10."
    )


def test_medline_short_names_are_used_when_there_are_no_full_names(tmp_path):
    path = tmp_path / "old.nbib"
    path.write_text(
        "PMID- 1\nTI  - Old record.\nAU  - de Hoon MJ\nAU  - Imoto S\nCN  - The Group\n"
    )
    assert one(path).authors == ["de Hoon, MJ", "Imoto, S", "The Group"]


def test_medline_doi_comes_from_the_doi_token_of_joined_lid_lines(tmp_path):
    path = tmp_path / "lid.txt"
    path.write_text(
        "PMID- 2\nTI  - Two LIDs.\nLID - S0000-0000(20)30001-1 [pii]\n"
        "LID - 10.1016/ABC.2020.01 [doi]\n"
        "SI  - ClinicalTrials.gov/NCT04280705\nSI  - GENBANK/AB123456\n"
        "MH  - *Humans\nMH  - Information Storage and Retrieval/*methods\nOT  - covid\n"
    )
    reference = one(path)
    assert reference.doi == "10.1016/abc.2020.01"
    assert reference.registry_ids == ["NCT04280705"]
    assert reference.mesh_terms == ["Humans", "Information Storage and Retrieval"]
    assert reference.keywords == ["covid"]


def test_a_multi_line_mesh_term_is_one_descriptor():
    reference = one(DATA / "biopython/Medline/pubmed_result3.txt")
    assert "High-Intensity Focused Ultrasound Ablation" in reference.mesh_terms
    assert reference.doi == "10.1118/1.4748329"


def test_a_leading_blank_line_does_not_make_an_entry():
    reference = one(DATA / "biopython/Medline/pubmed_result1.txt")
    assert reference.title == "The Bio* toolkits--a brief overview."
    assert reference.authors == ["Mangalam, Harry"]
    assert reference.mesh_terms[0] == "Computational Biology"


# --- RIS --------------------------------------------------------------------------------------


def test_a_doi_given_as_a_dx_doi_org_url_is_normalised():
    reference = one(DATA / "ris/rispy/example_empty_tag.ris")
    assert reference.doi == "10.1177/2325967120950040"
    assert reference.title.startswith("Outcome Measures After Shoulder Stabilization")
    assert reference.authors == ["Fanning, E."]  # A1, written "Surname Initials"
    assert (reference.year, reference.journal) == (2020, "Orthopaedic Journal of Sports Medicine")
    assert reference.keywords == ["athlete", "biomechanics", "bone remodeling"]


def test_a_doi_given_as_a_doi_org_url_is_normalised():
    reference = one(DATA / "prisma/PRISMA2020_citation.ris")
    assert reference.doi == "10.1002/cl2.1230"
    assert reference.journal == "Campbell Systematic Reviews"
    assert reference.authors[0] == "Haddaway, Neal R."


def test_an_end_tag_without_trailing_space_ends_the_record():
    first, second = references_of(DATA / "ris/rispy/example_full_without_whitespace.ris")
    assert (first.title, second.title) == ("Title of reference", "The title of the reference")
    assert second.raw.startswith("TY  - JOUR") and second.raw.endswith("ER  -")


def test_a_cochrane_preamble_and_numbered_records_are_skipped():
    first, second = references_of(DATA / "ris/rispy/example_extraneous_data.ris")
    assert first.title == "Title of reference"
    assert second.authors == ["Marxus, Karlus", "Lindgren, Astrid"]
    assert "Record #2 of 2" not in first.raw and "Provider" not in second.raw
    assert [s.label for s in first.abstract_sections] == ["BACKGROUND", "RESULTS", "CONCLUSIONS"]
    assert (first.volume, first.issue, first.pages) == ("9", "3", "e0815")


def test_ris_urls_in_every_layout_are_split():
    entries = references_of(DATA / "ris/rispy/example_urls.ris")
    assert entries[0].urls == ["http://example.com"]
    assert all(e.urls == ["http://example.com", "http://www.example.com"] for e in entries[1:])


def test_ris_with_a_byte_order_mark_and_only_a_doi_is_read():
    parsed = read_file(DATA / "ris/rispy/example_bom.ris")
    (reference,) = parsed.entries()
    assert parsed.encoding == "utf-8-sig"
    assert reference.doi == "10.1186/s40981-020-0316-0"
    assert reference.warnings == ["no title"]


def test_ris_with_cyrillic_text_is_read():
    reference = one(DATA / "ris/rispy/example_utf_chars.ris")
    assert reference.authors[0] == "Dobrokhotova, Yu E."
    assert reference.abstract.startswith("Состояние рецепторного аппарата")
    assert (reference.volume, reference.pages) == ("8", "52-57")  # VO, a dialect's volume tag


def test_a_ris_record_without_end_tag_at_the_end_of_the_file_is_unreadable(tmp_path):
    text = (DATA / "ris/rispy/example_full.ris").read_text()
    path = tmp_path / "cut.ris"
    path.write_text(text[: text.rindex("ER  -")])
    first, second = entries_of(path)
    assert first.title == "Title of reference"
    assert isinstance(second, UnreadableEntry)
    assert second.position == 2
    assert second.reason == "record 2 has no end tag ER; the file may be truncated"
    assert second.excerpt.startswith("TY  - JOUR")


def test_a_ris_record_without_end_tag_before_the_next_record_is_read_with_a_warning(tmp_path):
    path = tmp_path / "missing-er.ris"
    path.write_text("TY  - JOUR\nTI  - First\nTY  -  JOUR\nTI  - Second\nER  -\n")
    first, second = references_of(path)
    assert (first.title, second.title) == ("First", "Second")
    assert first.warnings == ["record 1 has no end tag ER before the next record"]


def test_ris_dialect_tags_give_the_same_fields(tmp_path):
    path = tmp_path / "dialect.txt"
    path.write_text(
        "1.\nTY  -  JOUR\nT1  - Dialect title\nA1  - Doe,Jane\nY1  - 2001///\n"
        "J2  - J Abbrev\nDO  - https://dx.doi.org/10.1000/ABC\nAN  - 12345678\n"
        "DB  - Ovid MEDLINE(R)\nUR  - https://example.org/a\nER  - text after the end tag\n"
        "<2>\nTY  - JOUR\nTI  - Second title\nAU  - Roe, R\nPY  - 2002\nJO  - Journal Two\n"
        "C2  - PMC7654321\nER  -\n"
    )
    first, second = references_of(path)
    assert (first.title, first.authors, first.year) == ("Dialect title", ["Doe, Jane"], 2001)
    assert (first.journal, first.doi, first.pmid) == ("J Abbrev", "10.1000/abc", "12345678")
    assert (second.title, second.journal, second.pmcid) == (
        "Second title",
        "Journal Two",
        "PMC7654321",
    )


# --- Web of Science ---------------------------------------------------------------------------


def test_a_web_of_science_record_gives_its_fields():
    first, second = references_of(DATA / "ris/rispy/example_wos.ris")
    assert first.title == (
        "Interactions stabilizing the structure of the core light-harvesting complex (LHl) of "
        "photosynthetic bacteria and its subunit (B820)"
    )
    assert first.authors == ["Parkes-Loach, PS", "Majeed, AP", "Law, CJ", "Loach, PA"]
    assert (first.journal, first.year, first.volume, first.issue) == (
        "BIOCHEMISTRY",
        2004,
        "43",
        "22",
    )
    assert (first.pages, first.doi, first.pmid) == ("7003-7016", "10.1021/bi049798f", "15170338")
    assert first.publication_types == ["Article"]
    assert first.keywords[0] == "CHEMICALLY SYNTHESIZED POLYPEPTIDES"
    assert first.raw.startswith("PT J") and first.raw.endswith("ER")
    assert second.pmid == "15170339"


# --- BibTeX -----------------------------------------------------------------------------------


def test_bibtex_latex_accents_are_decoded():
    assert one(DATA / "bibtex/python-bibtexparser/article_with_special_characters.bib").authors == [
        "Césarü, Jean"
    ]
    assert one(DATA / "bibtex/zotero-better-bibtex/wrong_ring_above_1115.bib").authors == [
        "Řehůřek, Radim",
        "Sojka, Petr",
    ]


def test_bibtex_string_macros_and_concatenations_are_resolved():
    reference = one(DATA / "bibtex/python-bibtexparser/article_with_strings.bib")
    assert (reference.authors, reference.journal) == (["César, Jean"], "Nice Journal")


def test_bibtex_capital_and_separates_authors_and_others_means_et_al():
    assert one(DATA / "bibtex/python-bibtexparser/book_capital_AND.bib").authors == [
        "Bird, R.B.",
        "Armstrong, R.C.",
        "Hassager, O.",
    ]
    assert one(DATA / "bibtex/zotero-better-bibtex/unparsed_author_names_92.bib").authors == [
        "Madelung, O."
    ]


def test_bibtex_capitalised_field_names_are_read():
    wigner = references_of(DATA / "bibtex/python-bibtexparser/multiple_entries_and_comments.bib")[1]
    assert (wigner.title, wigner.doi, wigner.pages) == (
        "The transition state method",
        "10.1039/tf9383400029",
        "29-41",
    )


def test_an_endnote_entry_without_citation_key_is_recovered():
    reference = one(DATA / "bibtex/zotero-better-bibtex/endnote_should_parse.bib")
    assert reference.title == "Alzheimer mechanisms and therapeutic strategies"
    assert reference.authors == ["Huang, Y.", "Mucke, L."]
    assert reference.warnings == ["the entry has no citation key"]
    assert "keyless" not in reference.raw


def test_a_repeated_citation_key_is_read_with_a_warning():
    entries = entries_of(DATA / "bibtex/python-bibtexparser/biber-examples.bib")
    repeated = [
        e
        for e in entries
        if isinstance(e, ParsedReference)
        and e.raw.startswith("@UNPUBLISHED{tmn4,\n  AUTHOR = {ZZZ}")
    ]
    assert len(repeated) == 1
    assert repeated[0].authors == ["ZZZ"]
    assert "the citation key 'tmn4' is also used by an earlier entry" in repeated[0].warnings


def test_mojibake_in_bibtex_is_flagged_on_the_entry():
    reference = one(DATA / "bibtex/zotero-better-bibtex/percent_sign_95_preamble_96.bib")
    assert any("mojibake" in warning and "Â°" in warning for warning in reference.warnings)
    assert reference.doi == "10.1016/j.tsf.2009.05.016"


def test_a_bibtex_entry_with_a_repeated_field_keeps_the_first_value_with_a_warning(tmp_path):
    path = tmp_path / "dup.bib"
    path.write_text(
        "@article{a, title={First}, author={Doe, J}}\n"
        "@article{b, title={Second}, title={Again}, year=2001}\n"
        "@article{c, title={Third}}\n"
    )
    first, second, third = references_of(path)
    assert (first.title, second.title, third.title) == ("First", "Second", "Third")
    assert (second.position, second.year) == (2, 2001)
    assert second.warnings == [
        "the field 'title' appears 2 times: the first value was kept, the others are in the "
        "entry's text"
    ]
    assert "title={Again}" in second.raw


@pytest.mark.parametrize(
    "cut", ["@article{b, title={Second},\n  year = {20", "@article{b, author = {Doe, J}"]
)
def test_a_bibtex_entry_left_open_at_the_end_is_unreadable(tmp_path, cut):
    path = tmp_path / "cut.bib"
    path.write_text("@article{a, title={First}}\n\n" + cut)
    first, second = entries_of(path)
    assert first.title == "First"
    assert isinstance(second, UnreadableEntry)
    assert second.reason == (
        "entry 2 (line 3) is not closed before the end of the file; the file may be truncated"
    )


def test_a_chinese_bibtex_file_in_gbk_is_read_with_a_warning():
    parsed = read_file(DATA / "bibtex/python-bibtexparser/gbk_test.bib")
    (reference,) = parsed.entries()
    assert parsed.encoding == "gb18030"
    assert "not UTF-8" in parsed.warnings[0]
    assert (reference.authors, reference.journal) == (["凯撒"], "测试期刊")


def test_a_bibtex_crossref_child_takes_its_book_and_year_from_the_parent():
    child = references_of(DATA / "bibtex/python-bibtexparser/crossref_entries.bib")[0]
    assert (child.title, child.journal, child.year) == (
        "Great and Good Graphs",
        "Graphs of the Continent",
        1974,
    )


# --- CSV --------------------------------------------------------------------------------------

EMBASE_COLUMNS = [
    "Title", "Author Names", "Source title", "Publication Year", "Volume", "Issue",
    "First Page", "Last Page", "Abstract", "Medline PMID", "DOI", "Clinical Trial Number",
    "Emtree Medical Index Terms", "Language of Article", "Publication Type", "Full Text Link",
]  # fmt: skip
EMBASE_ROWS = [
    [
        "Aspirin after stroke: a randomised trial", "Smith J., Doe A.B.", "The Lancet", "2020",
        "395", "10223", "497", "506",
        "BACKGROUND: Aspirin is used. METHODS: We randomised 100 patients (NCT01234567). "
        "RESULTS: Fewer strokes. CONCLUSIONS: It works.",
        "31234567", "https://doi.org/10.1016/S0140-6736(20)30001-1", "ISRCTN12345678",
        "stroke; aspirin", "English", "Article", "https://example.org/full",
    ],
    ["Second trial", "Roe R.", "BMJ", "2019", "", "", "", "", "", "", "", "", "", "English",
     "Article", ""],
]  # fmt: skip


def _quoted(cells: list[str]) -> str:
    return ",".join(f'"{cell}"' for cell in cells)


# An export with the search history before the table, as Embase writes it (a fixture written
# for this test: the corpus holds no Embase table).
EMBASE_CSV = "\n".join(
    [
        '"Embase Session Results"',
        '"No.","Query","Results","Date"',
        '"#1","\'aspirin\'/exp AND \'stroke\'/exp","2","25 Nov 2025"',
        "",
        _quoted(EMBASE_COLUMNS),
        *(_quoted(row) for row in EMBASE_ROWS),
        "",
    ]
)


def test_an_embase_style_table_with_preamble_lines_is_read_from_its_header(tmp_path):
    path = tmp_path / "embase.csv"
    path.write_text(EMBASE_CSV)
    parsed = read_file(path)
    first, second = parsed.entries()
    assert parsed.format == "csv"
    assert first.title == "Aspirin after stroke: a randomised trial"
    assert first.authors == ["Smith, J.", "Doe, A.B."]
    assert (first.journal, first.year, first.volume, first.issue, first.pages) == (
        "The Lancet",
        2020,
        "395",
        "10223",
        "497-506",
    )
    assert (first.pmid, first.doi) == ("31234567", "10.1016/s0140-6736(20)30001-1")
    assert first.registry_ids == ["ISRCTN12345678", "NCT01234567"]
    assert [s.label for s in first.abstract_sections] == [
        "BACKGROUND",
        "METHODS",
        "RESULTS",
        "CONCLUSIONS",
    ]
    assert first.keywords == ["stroke", "aspirin"]
    assert first.urls == ["https://example.org/full"]
    assert first.raw.startswith('"Aspirin after stroke')
    assert (second.title, second.authors, second.position) == ("Second trial", ["Roe, R."], 2)


def test_an_excel_semicolon_table_in_windows_1252_is_read_with_a_warning(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        b"sep=;\r\nTitle;Authors;Year;DOI\r\n"
        b'"Caf\xe9 au lait spots";"M\xfcller, Hans; \xc9mile, Jean";2018;10.1000/XYZ\r\n'
        b";;;\r\n"
        b'"Second; with a semicolon";"Roe, R";2019;\r\n'
    )
    parsed = read_file(path)
    first, second = parsed.entries()
    assert (parsed.format, parsed.encoding) == ("csv", "cp1252")
    assert parsed.warnings == [
        "The file is not UTF-8; it was read as Windows-1252 (Western European). If accented or "
        "non-Latin letters look wrong, save the file as UTF-8 and import it again."
    ]
    assert (first.title, first.authors, first.doi) == (
        "Café au lait spots",
        ["Müller, Hans", "Émile, Jean"],
        "10.1000/xyz",
    )
    assert (second.title, second.position) == ("Second; with a semicolon", 2)


def test_pubmeds_csv_export_is_read(tmp_path):
    path = tmp_path / "csv-biopython-set.csv"
    path.write_text(
        "PMID,Title,Authors,Citation,First Author,Journal/Book,Publication Year,Create Date,"
        "PMCID,NIHMS ID,DOI\n"
        '19304878,"Biopython: freely available Python tools for computational molecular biology '
        'and bioinformatics.","Cock PJ, Antao T, Chang JT, de Hoon MJ.","Bioinformatics. '
        '2009 Jun 1;25(11):1422-3. doi: 10.1093/bioinformatics/btp163. Epub 2009 Mar 20.",'
        "Cock PJ,Bioinformatics,2009,2009/03/24,PMC2682512,,10.1093/bioinformatics/btp163\n",
        encoding="utf-8-sig",
    )
    parsed = read_file(path)
    (reference,) = parsed.entries()
    assert parsed.encoding == "utf-8-sig"
    assert reference.authors == ["Cock, PJ", "Antao, T", "Chang, JT", "de Hoon, MJ"]
    assert (reference.pmid, reference.pmcid, reference.doi) == (
        "19304878",
        "PMC2682512",
        "10.1093/bioinformatics/btp163",
    )
    assert (reference.journal, reference.year) == ("Bioinformatics", 2009)
    assert (reference.volume, reference.issue, reference.pages) == ("25", "11", "1422-3")


def test_a_tab_separated_web_of_science_table_is_read(tmp_path):
    path = tmp_path / "savedrecs.txt"
    path.write_text(
        "PT\tAU\tAF\tTI\tSO\tDE\tAB\tPY\tVL\tBP\tEP\tDI\tPM\n"
        "J\tCao, WX\tCao, Wenxiang\tProximal and distal influences\tBIOCHEMISTRY\theme; CO\t"
        "We use laser flash photolysis.\t2004\t43\t7017\t7027\t10.1021/bi0497291\t15170339\n"
    )
    reference = one(path)
    assert read_file(path).format == "csv"
    assert (reference.title, reference.authors, reference.pages) == (
        "Proximal and distal influences",
        ["Cao, Wenxiang"],
        "7017-7027",
    )
    assert (reference.keywords, reference.pmid, reference.publication_types) == (
        ["heme", "CO"],
        "15170339",
        [],
    )


def test_a_table_row_without_any_identifying_field_is_unreadable(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("Title,Abstract,Year\nA title,,2020\n,Only an abstract,2021\n")
    first, second = entries_of(path)
    assert first.title == "A title"
    assert isinstance(second, UnreadableEntry) and second.position == 2


def test_a_scopus_table_with_author_ids_is_read(tmp_path):
    path = tmp_path / "scopus.csv"
    path.write_text(
        "\ufeffAuthors,Author full names,Title,Year,Source title,Volume,Issue,Art. No.,"
        "Page start,Page end,DOI,Link,Abstract,Author Keywords,Index Keywords,"
        "Language of Original Document,Document Type,PubMed ID\n"
        '"Xiong A.; Wang L.","Xiong, Anwen (57190000001); Wang, Li (57190000002)",'
        '"Ivonescimab versus pembrolizumab",2025,"JAMA",333,"4",,"301","310",'
        '"10.1001/jama.2025.1","https://www.scopus.com/inward/record.uri?eid=2-s2.0-1",'
        '"Abstract text.","lung cancer; PD-L1","Humans","English","Article",39000001\n',
        encoding="utf-8",
    )
    reference = one(path)
    assert reference.authors == ["Xiong, Anwen", "Wang, Li"]
    assert (reference.journal, reference.pages, reference.pmid) == ("JAMA", "301-310", "39000001")
    assert reference.keywords == ["lung cancer", "PD-L1", "Humans"]


# --- Encodings --------------------------------------------------------------------------------


def test_a_utf16_file_with_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "utf16.ris"
    path.write_bytes((DATA / "ris/rispy/example_basic.ris").read_text().encode("utf-16"))
    parsed = read_file(path)
    assert (parsed.format, parsed.encoding) == ("ris", "utf-16")
    assert one(path).authors == ["Shannon, Claude E."]


def test_mojibake_in_a_utf8_file_is_flagged_on_the_entry(tmp_path):
    path = tmp_path / "mojibake.ris"
    path.write_text("TY  - JOUR\nTI  - Temperature of 37Â°C in CafÃ©s\nER  -\n")
    (reference,) = references_of(path)
    assert reference.warnings == [
        "possible mojibake: “Â°” suggests text that was decoded with the wrong encoding "
        "somewhere on its way"
    ]


def test_a_missing_title_is_a_warning_not_a_failure(tmp_path):
    path = tmp_path / "no-title.ris"
    path.write_text("TY  - JOUR\nDO  - 10.1000/abc\nER  -\n")
    assert one(path).warnings == ["no title"]
