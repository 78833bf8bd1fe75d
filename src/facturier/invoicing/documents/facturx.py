"""Factur-X: the PDF/A-3b that Typst writes, with the CII XML attached, gets the
Factur-X XMP properties in a small incremental update (Typst cannot write custom
XMP): the factur-x package rewrites the whole file instead, which is slower and
makes larger files."""

import io

from pypdf import PdfReader, PdfWriter

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
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(reader, incremental=True)
    metadata = writer.root_object["/Metadata"].get_object()
    xmp = metadata.get_data().decode("utf-8")
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
    metadata.set_data(xmp.encode("utf-8"))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def embedded_xml(pdf: bytes, filename: str = "factur-x.xml") -> bytes | None:
    """The XML a Factur-X PDF carries, or None when it carries none."""
    files = PdfReader(io.BytesIO(pdf)).attachments.get(filename)
    return bytes(files[0]) if files else None
