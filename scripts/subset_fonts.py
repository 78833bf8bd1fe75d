"""Make the Inter files shipped in documents/fonts from Inter's full static fonts.

    uv run --group dev python scripts/subset_fonts.py DIR_WITH_FULL_INTER_TTFS

The shipped files keep what invoices print (Latin scripts, punctuation, currency
signs; Greek, Cyrillic and the rest fall back to Libertinus Serif) and only the
kerning and tabular-figure features. Typst shapes every string of every render
with these fonts, and each lookup a font carries is work for every string: the
full files made every render of a long invoice slower.
"""

import sys
from pathlib import Path

from fontTools import subset

FONTS = Path(__file__).resolve().parent.parent / "src/facturier/invoicing/documents/fonts"
# The two weights the layout uses (each font a PDF uses costs time on every render).
FILES = ["Inter_400Regular.ttf", "Inter_600SemiBold.ttf"]
UNICODES = [
    "U+0000-024F",  # Basic Latin, Latin-1, Latin Extended-A and -B
    "U+02BB-02BC,U+02C6-02DD",  # modifier letters and spacing accents
    "U+0300-036F",  # combining accents (text is NFC-composed before rendering)
    "U+1E00-1EFF",  # Latin Extended Additional (Vietnamese, Welsh, ...)
    "U+2000-206F",  # punctuation and spaces (Babel's U+202F, dashes, quotes, ...)
    "U+20A0-20CF",  # currency signs
    "U+2100-214F",  # letterlike symbols (№, ™)
    "U+2190-21FF",  # arrows
    "U+2212,U+221E,U+2248,U+2260,U+2264-2265",  # minus and a few relations
]
FEATURES = ["kern", "tnum"]


def main(source: Path) -> None:
    for name in FILES:
        options = subset.Options()
        options.layout_features = FEATURES
        options.hinting = False  # PDFs don't use TrueType hinting
        options.name_IDs = ["*"]  # keep the copyright and license records
        options.notdef_outline = True
        font = subset.load_font(str(source / name), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(",".join(UNICODES)))
        subsetter.subset(font)
        subset.save_font(font, str(FONTS / name), options)
        print(name, (FONTS / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
