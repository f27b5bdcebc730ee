"""Taking a bulk upload's files (screening/retrieval/bulk_files.py): PDFs kept, everything else
listed with its reason, and zips checked before anything is extracted: a zip bomb, paths that
climb out of the zip, too many files, a zip that lies about its sizes."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from screening.retrieval.bulk_files import BulkRefused, Limits, gather
from tests.screening.retrieval.pdfs import make_pdf, zip_of

PDF_A = make_pdf(["Article A"])
PDF_B = make_pdf(["Article B"])
SMALL = Limits(max_files=5, max_total_bytes=200_000, max_file_bytes=50_000)


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "batch"
    path.mkdir()
    return path


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def kept_on_disk(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_pdfs_are_kept_by_number_with_their_names_sizes_and_checksums(folder):
    gathered = gather([upload("a.pdf", PDF_A), upload("b.pdf", PDF_B)], folder, SMALL)
    assert [(t.name, t.stored, t.size) for t in gathered.taken] == [
        ("a.pdf", "001.pdf", len(PDF_A)),
        ("b.pdf", "002.pdf", len(PDF_B)),
    ]
    assert (folder / "002.pdf").read_bytes() == PDF_B
    assert gathered.not_taken == []


def test_a_file_that_is_not_a_pdf_is_listed_with_its_reason_and_not_kept(folder):
    gathered = gather(
        [upload("paywall.pdf", b"<html>Sign in</html>"), upload("a.pdf", PDF_A)], folder, SMALL
    )
    assert [(n.name, n.why) for n in gathered.not_taken] == [("paywall.pdf", "It is not a PDF.")]
    assert [t.name for t in gathered.taken] == ["a.pdf"]
    assert kept_on_disk(folder) == ["002.pdf"]


def test_the_same_file_twice_is_kept_once(folder):
    gathered = gather([upload("a.pdf", PDF_A), upload("a copy.pdf", PDF_A)], folder, SMALL)
    assert [t.name for t in gathered.taken] == ["a.pdf"]
    assert [(n.name, n.why) for n in gathered.not_taken] == [
        ("a copy.pdf", "It is the same file as a.pdf, which is in the batch already.")
    ]


def test_a_pdf_over_the_limit_for_a_full_text_is_left_out(folder):
    big = make_pdf(["x" * 80] * 10) + b"%" * 60_000
    gathered = gather([upload("big.pdf", big), upload("a.pdf", PDF_A)], folder, SMALL)
    assert gathered.not_taken[0].name == "big.pdf"
    assert "over the limit of 48.8\xa0KB for a full text" in gathered.not_taken[0].why


def test_a_zip_is_unpacked_into_its_pdfs_named_after_the_zip(folder):
    data = zip_of({"papers/a.pdf": PDF_A, "papers/b.pdf": PDF_B, "papers/notes.txt": b"hello"})
    gathered = gather([upload("papers.zip", data)], folder, SMALL)
    assert [(t.name, t.file_name) for t in gathered.taken] == [
        ("papers.zip: papers/a.pdf", "a.pdf"),
        ("papers.zip: papers/b.pdf", "b.pdf"),
    ]
    assert [(n.name, n.why) for n in gathered.not_taken] == [
        ("papers.zip: papers/notes.txt", "It is not a PDF.")
    ]


def test_the_macs_own_entries_in_a_zip_are_passed_over(folder):
    data = zip_of({"a.pdf": PDF_A, "__MACOSX/._a.pdf": b"\0\5\26\7", ".DS_Store": b"\0"})
    gathered = gather([upload("mac.zip", data)], folder, SMALL)
    assert [t.name for t in gathered.taken] == ["mac.zip: a.pdf"]
    assert gathered.not_taken == []


def test_a_zip_bomb_is_refused_by_its_declared_size_before_anything_is_extracted(folder):
    bomb = zip_of({"a.pdf": PDF_A, "bomb.pdf": b"%PDF-1.4\n" + b"\0" * 5_000_000})
    assert len(bomb) < 20_000  # small to upload, 5 MB once extracted
    limits = Limits(max_files=5, max_total_bytes=1_000_000, max_file_bytes=10_000_000)
    with pytest.raises(BulkRefused, match=r"The files come to 4.8\xa0MB, over the limit of"):
        gather([upload("bomb.zip", bomb)], folder, limits)
    assert kept_on_disk(folder) == []


def test_an_entry_over_the_file_limit_is_not_extracted(folder):
    data = zip_of({"a.pdf": PDF_A, "huge.pdf": b"%PDF-1.4\n" + b"\0" * 100_000})
    gathered = gather([upload("p.zip", data)], folder, SMALL)
    assert [t.name for t in gathered.taken] == ["p.zip: a.pdf"]
    assert "over the limit" in gathered.not_taken[0].why
    assert kept_on_disk(folder) == [gathered.taken[0].stored]


@pytest.mark.parametrize(
    "path", ["../../evil.pdf", "/etc/evil.pdf", "a/../../evil.pdf", "C:/evil.pdf"]
)
def test_a_path_that_climbs_out_of_the_zip_is_not_extracted(folder, tmp_path, path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.pdf", PDF_A)
        archive.writestr(zipfile.ZipInfo(path), PDF_B)
    gathered = gather([upload("attack.zip", out.getvalue())], folder, SMALL)
    assert [t.name for t in gathered.taken] == ["attack.zip: a.pdf"]
    assert [(n.name, n.why) for n in gathered.not_taken] == [
        (
            f"attack.zip: {path}",
            "Its path inside the zip leads outside the zip, so it was not extracted.",
        )
    ]
    assert not any(p.name == "evil.pdf" for p in tmp_path.rglob("*"))


def test_too_many_files_are_refused_whole(folder):
    data = zip_of({f"{n}.pdf": make_pdf([f"Article {n}"]) for n in range(6)})
    with pytest.raises(BulkRefused, match="holds 6 files, over the limit of 5"):
        gather([upload("six.zip", data)], folder, SMALL)
    assert kept_on_disk(folder) == []


def test_too_many_files_counts_loose_pdfs_and_zip_entries_together(folder):
    data = zip_of({f"{n}.pdf": make_pdf([f"Article {n}"]) for n in range(3)})
    uploads = [upload("a.pdf", PDF_A), upload("b.pdf", PDF_B), upload("three.zip", data)]
    with pytest.raises(BulkRefused, match="The batch holds 5 files, over the limit of 4"):
        gather(uploads, folder, Limits(max_files=4, max_total_bytes=10**6, max_file_bytes=10**5))


def test_a_zip_announcing_a_huge_number_of_entries_is_refused_before_it_is_parsed(folder):
    data = bytearray(zip_of({"a.pdf": PDF_A}))
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = struct.pack("<2H", 60_000, 60_000)  # entries on disk, in all
    with pytest.raises(BulkRefused, match="holds 60000 entries, far over the limit of 5"):
        gather([upload("many.zip", bytes(data))], folder, SMALL)


def test_an_entry_that_holds_more_than_it_declares_is_not_kept(folder):
    data = bytearray(zip_of({"a.pdf": PDF_A, "liar.pdf": PDF_B}))
    # Say liar.pdf is 10 bytes long, in its local header and in the directory.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.rfind(signature)
        data[at + offset : at + offset + 4] = struct.pack("<L", 10)
    gathered = gather([upload("liar.zip", bytes(data))], folder, SMALL)
    assert [t.name for t in gathered.taken] == ["liar.zip: a.pdf"]
    assert [n.name for n in gathered.not_taken] == ["liar.zip: liar.pdf"]
    assert gathered.not_taken[0].why.startswith("It could not be extracted from the zip (")
    assert kept_on_disk(folder) == ["001.pdf"]


def test_a_password_protected_entry_is_not_extracted(folder):
    data = bytearray(zip_of({"locked.pdf": PDF_A}))
    # Set the "encrypted" flag, as a zip made with a password has it, in both headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1
    gathered = gather([upload("locked.zip", bytes(data)), upload("b.pdf", PDF_B)], folder, SMALL)
    assert [(n.name, n.why) for n in gathered.not_taken] == [
        (
            "locked.zip: locked.pdf",
            "It is protected by a password inside the zip, so it was not extracted.",
        )
    ]
    assert [t.name for t in gathered.taken] == ["b.pdf"]


def test_a_damaged_zip_is_refused_in_words(folder):
    data = zip_of({"a.pdf": PDF_A})[:-30]
    with pytest.raises(BulkRefused, match="damaged.zip could not be read as a zip"):
        gather([upload("damaged.zip", data)], folder, SMALL)
