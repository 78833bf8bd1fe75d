"""The Factur-X XMP goes into Typst's PDF/A-3b as an incremental update written by
hand: what a reader of the file sees is Typst's bytes whole, then the metadata object
again, a classic cross-reference table for it alone and a trailer that keeps /Root,
/Info and /ID and points back at Typst's table."""

import io
import re

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DictionaryObject

from facturier.invoicing.documents import build_cii, embedded_xml
from facturier.invoicing.documents import pdf as pdf_module
from facturier.invoicing.documents.facturx import FX_NS, add_facturx_xmp

pytestmark = pytest.mark.django_db


@pytest.fixture
def rendered(finalized, monkeypatch):
    """Typst's PDF/A-3b of a finalized e-invoice, and the app's Factur-X made of it."""
    seen = []

    def keep(pdf, **kwargs):
        seen.append(pdf)
        return add_facturx_xmp(pdf, **kwargs)

    monkeypatch.setattr(pdf_module, "add_facturx_xmp", keep)
    final = pdf_module.render_snapshot(finalized.snapshot)
    return seen[0], final


def startxref(pdf: bytes) -> int:
    return int(re.search(rb"startxref\r?\n(\d+)\r?\n%%EOF\r?\n?$", pdf)[1])


def metadata_ref(pdf: bytes):
    return PdfReader(io.BytesIO(pdf)).trailer["/Root"].raw_get("/Metadata")


def last_section(pdf: bytes) -> tuple[int, int, int, DictionaryObject]:
    """The last xref section, which must be a classic table of the free list's head and
    one entry: its object number, the entry's offset and generation, and the trailer
    after it."""
    at = startxref(pdf)
    table = re.match(
        rb"xref\n0 1\n0000000000 65535 f\r\n(\d+) 1\n(\d{10}) (\d{5}) n\r\ntrailer\n", pdf[at:]
    )
    assert table, pdf[at : at + 80]
    stream = io.BytesIO(pdf)
    stream.seek(at + table.end())
    trailer = DictionaryObject.read_from_stream(stream, PdfReader(io.BytesIO(pdf)))
    return int(table[1]), int(table[2]), int(table[3]), trailer


def test_typst_bytes_are_kept_whole_and_one_eol_starts_the_update(rendered):
    typst, final = rendered
    assert final.startswith(typst)
    update = final[len(typst) :]
    ref = metadata_ref(typst)
    eol = b"" if typst.endswith((b"\n", b"\r")) else b"\n"
    assert update.startswith(eol + b"%d %d obj\n" % (ref.idnum, ref.generation))
    # Already ending with an end of line, the file gets no second one.
    again = add_facturx_xmp(typst + b"\n", filename="factur-x.xml")
    assert again.startswith(typst + b"\n%d %d obj\n" % (ref.idnum, ref.generation))


def test_the_new_xref_entry_points_exactly_at_the_new_metadata_object(rendered):
    typst, final = rendered
    ref = metadata_ref(typst)
    number, offset, generation, _ = last_section(final)
    assert (number, generation) == (ref.idnum, ref.generation)
    assert offset >= len(typst)
    header = re.match(
        rb"(\d+) (\d+) obj\n<</Type/Metadata/Subtype/XML/Length (\d+)>>\nstream\n", final[offset:]
    )
    assert header and (int(header[1]), int(header[2])) == (ref.idnum, ref.generation)
    start = offset + header.end()
    end = start + int(header[3])
    assert final[end:].startswith(b"\nendstream\nendobj\nxref\n0 1\n")
    assert final[start:end].startswith(b"<?xpacket begin=")
    assert final[start:end].endswith(b"?>") and b"<?xpacket end=" in final[start:end]


def test_the_trailer_keeps_root_info_and_id_and_points_back_at_typst_table(rendered):
    typst, final = rendered
    before = PdfReader(io.BytesIO(typst), strict=True).trailer
    *_, trailer = last_section(final)
    assert set(trailer) == {"/Size", "/Root", "/Info", "/ID", "/Prev"}
    assert trailer["/Size"] == before["/Size"]
    for key in ("/Root", "/Info"):
        old, new = before.raw_get(key), trailer.raw_get(key)
        assert (new.idnum, new.generation) == (old.idnum, old.generation)
    assert [i.original_bytes for i in trailer["/ID"]] == [i.original_bytes for i in before["/ID"]]
    assert trailer["/Prev"] == startxref(typst)
    assert typst[trailer["/Prev"] :].startswith(b"xref\n0 ")


def test_pypdf_strict_finds_the_factur_x_properties_through_the_root(rendered, finalized):
    typst, final = rendered
    reader = PdfReader(io.BytesIO(final), strict=True)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    tree = etree.fromstring(xmp)
    fx = {element.tag.split("}")[1]: element.text for element in tree.iter(f"{{{FX_NS}}}*")}
    assert fx == {
        "DocumentType": "INVOICE",
        "DocumentFileName": "factur-x.xml",
        "Version": "1.0",
        "ConformanceLevel": "EN 16931",
    }
    assert b"Factur-X PDFA Extension Schema" in xmp
    assert b"<pdfaid:part>3</pdfaid:part>" in xmp
    assert len(reader.pages) == len(PdfReader(io.BytesIO(typst)).pages)
    name, xml = facturx.get_xml_from_pdf(io.BytesIO(final), check_xsd=True)
    assert name == "factur-x.xml"
    assert xml == embedded_xml(final) == build_cii(finalized.snapshot)
    assert facturx.get_flavor(etree.fromstring(xml)) == "factur-x"
    assert facturx.get_level(etree.fromstring(xml)) == "en16931"


@pytest.mark.parametrize(
    "marker", ["</rdf:Bag></pdfaExtension:schemas>", "</rdf:Description></rdf:RDF>"]
)
def test_an_xmp_without_the_markers_is_refused(rendered, marker):
    typst, _ = rendered
    # Same length, so the offsets and the stream's /Length stay right.
    broken = typst.replace(marker.encode(), marker.replace("</rdf:", "</rdf_").encode(), 1)
    assert broken != typst and len(broken) == len(typst)
    with pytest.raises(ValueError, match="unexpected XMP"):
        add_facturx_xmp(broken, filename="factur-x.xml")


def test_a_file_ending_with_a_cross_reference_stream_is_refused(rendered):
    typst, _ = rendered
    writer = PdfWriter(PdfReader(io.BytesIO(typst)), incremental=True)
    writer.add_metadata({"/Subject": "updated"})
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValueError, match="classic cross-reference table"):
        add_facturx_xmp(out.getvalue(), filename="factur-x.xml")
