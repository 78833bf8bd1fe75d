"""Factur-X: the PDF/A-3b that Typst writes, with the CII XML attached, gets the
Factur-X XMP properties (Typst cannot write custom XMP) in a small incremental update
written here by hand: the metadata stream again under its own object number, a classic
cross-reference table for that one object after Typst's classic table, and a trailer
that keeps /Root, /Info and /ID. pypdf only reads (the trailer and the catalog's
metadata): its incremental writer clones and hashes every object of the document to
find the one that changed, writes a cross-reference stream and drops /Info. The
factur-x package rewrites the whole file, which is slower and makes larger files."""

import io
import re

from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)

FX_NS = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
FX_PROPERTIES = [
    ("DocumentFileName", "The name of the embedded XML document"),
    ("DocumentType", "The type of the hybrid document in capital letters, e.g. INVOICE"),
    ("Version", "The actual version of the standard applying to the embedded XML document"),
    ("ConformanceLevel", "The conformance level of the embedded XML document"),
]
FX_SCHEMA = (
    '<rdf:li rdf:parseType="Resource">'
    "<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>"
    f"<pdfaSchema:namespaceURI>{FX_NS}</pdfaSchema:namespaceURI>"
    "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"
    "<pdfaSchema:property><rdf:Seq>"
    + "".join(
        '<rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{name}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{description}</pdfaProperty:description>"
        "</rdf:li>"
        for name, description in FX_PROPERTIES
    )
    + "</rdf:Seq></pdfaSchema:property></rdf:li>"
)


def add_facturx_xmp(pdf: bytes, *, filename: str, level: str = "EN 16931") -> bytes:
    """`pdf` with the Factur-X properties in its XMP, as an incremental update: the
    original bytes stay whole, so what Typst wrote is what a reader checks first."""
    # Strict: the update extends the file's own cross-reference chain, so a file pypdf
    # would have to repair is refused rather than updated over a wrong /Prev.
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    prev = _startxref(pdf)
    ref = reader.trailer["/Root"].raw_get("/Metadata")
    xmp = reader.get_object(ref).get_data().decode("utf-8")
    end_schemas = "</rdf:Bag></pdfaExtension:schemas>"
    end_description = "</rdf:Description></rdf:RDF>"
    if end_schemas not in xmp or end_description not in xmp:
        raise ValueError("unexpected XMP from the PDF writer")
    properties = (
        f'<fx:DocumentType xmlns:fx="{FX_NS}">INVOICE</fx:DocumentType>'
        f'<fx:DocumentFileName xmlns:fx="{FX_NS}">{filename}</fx:DocumentFileName>'
        f'<fx:Version xmlns:fx="{FX_NS}">1.0</fx:Version>'
        f'<fx:ConformanceLevel xmlns:fx="{FX_NS}">{level}</fx:ConformanceLevel>'
    )
    xmp = xmp.replace(end_schemas, FX_SCHEMA + end_schemas, 1)
    xmp = xmp.replace(end_description, properties + end_description, 1)
    data = xmp.encode("utf-8")
    out = io.BytesIO()
    out.write(pdf if pdf.endswith((b"\n", b"\r")) else pdf + b"\n")
    offset = out.tell()
    out.write(b"%d %d obj\n" % (ref.idnum, ref.generation))
    out.write(b"<</Type/Metadata/Subtype/XML/Length %d>>\nstream\n" % len(data))
    out.write(data + b"\nendstream\nendobj\n")
    xref = out.tell()
    # Each entry is 20 bytes, its end of line two characters. The free list's head
    # (object 0) comes first, as the original table and other writers' updates have it.
    out.write(b"xref\n0 1\n0000000000 65535 f\r\n")
    out.write(b"%d 1\n%010d %05d n\r\n" % (ref.idnum, offset, ref.generation))
    out.write(b"trailer\n")
    _trailer(reader.trailer, prev=prev).write_to_stream(out)
    out.write(b"\nstartxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _trailer(old: DictionaryObject, *, prev: int) -> DictionaryObject:
    """The update's trailer: the same /Size (it adds no object), /Root, /Info and /ID
    (written as hex strings of the very bytes), and /Prev to the previous section."""
    trailer = DictionaryObject()
    for key in ("/Size", "/Root", "/Info"):
        if key in old:
            trailer[NameObject(key)] = old.raw_get(key)
    if "/ID" in old:
        ids = old["/ID"]
        trailer[NameObject("/ID")] = ArrayObject(ByteStringObject(i.original_bytes) for i in ids)
    trailer[NameObject("/Prev")] = NumberObject(prev)
    return trailer


def _startxref(pdf: bytes) -> int:
    """Where the file's last cross-reference section starts (pypdf keeps it only in a
    private attribute), checked to be a classic table like the one the update adds."""
    found = re.search(rb"startxref\s+(\d+)\s+%%EOF\s*$", pdf[-1024:])
    offset = int(found[1]) if found else -1
    if offset < 0 or not pdf.startswith(b"xref", offset):
        raise ValueError("the PDF does not end with a classic cross-reference table")
    return offset


def embedded_xml(pdf: bytes, filename: str = "factur-x.xml") -> bytes | None:
    """The XML a Factur-X PDF carries, or None when it carries none."""
    files = PdfReader(io.BytesIO(pdf)).attachments.get(filename)
    return bytes(files[0]) if files else None
