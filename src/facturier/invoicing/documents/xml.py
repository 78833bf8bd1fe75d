"""Writing namespaced XML (CII, UBL, CDAR) with lxml, tags given as "prefix:name"."""

from collections.abc import Callable, Mapping

from lxml import etree


def subelement_maker(namespaces: Mapping[str, str]) -> Callable[..., etree._Element]:
    """sub(parent, "ram:Name", text=None, **attributes) -> the new child element."""

    def sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
        prefix, name = tag.split(":")
        element = etree.SubElement(parent, f"{{{namespaces[prefix]}}}{name}", **attrs)
        if text is not None:
            element.text = text
        return element

    return sub
