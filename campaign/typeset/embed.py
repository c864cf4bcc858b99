"""Embedding TrueType subsets: each distinct subset's font file, widths and ToUnicode map are made
and compressed once per process, then reused by every PDF that draws the same glyphs.

ReportLab builds a subset per document from the characters in the order they were first drawn;
the same characters in the same order give the same bytes, so reusing them keeps every PDF
exactly as ReportLab alone would write it, only faster across a batch.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)

CACHED_SUBSETS = 256  # per font; a subset is some 10–40 kB once compressed


@dataclass(frozen=True)
class _Subset:
    """One subset's objects, formatted (and compressed when the document compresses)."""

    widths: bytes
    cmap: bytes
    font_file: bytes
    font_length: int  # the uncompressed font file's length (/Length1)
    compressed: bool


class SubsetCachingFont(TTFont):
    """A ReportLab TrueType font that reuses the subsets it has already made."""

    def __init__(self, name: str, filename: str, subfontIndex: int = 0) -> None:  # noqa: N803
        super().__init__(name, filename, subfontIndex=subfontIndex)
        self._subsets: OrderedDict[tuple[object, ...], _Subset] = OrderedDict()

    def addObjects(self, doc: Any) -> None:  # noqa: N802  (ReportLab's name)
        """Add the Font, FontDescriptor, font file and ToUnicode objects of every subset."""
        state = self.state.get(doc)
        if state is None:
            state = self.state[doc] = TTFont.State(getattr(self, "_asciiReadable"))  # noqa: B009
        state.frozen = 1
        face: Any = self.face
        fonts = doc.idToObject["BasicFonts"].dict
        for number, subset in enumerate(state.subsets):
            internal = self.getSubsetInternalName(number, doc)[1:]
            base = b"".join((SUBSETN(number), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
            made = self._subset(base, tuple(subset), bool(doc.compression))
            font: Any = pdfdoc.PDFTrueTypeFont()
            font.__Comment__ = f"Font {self.fontName} subset {number}"
            font.Name = internal
            font.BaseFont = base
            font.FirstChar = 0
            font.LastChar = len(subset) - 1
            font.Widths = made.widths
            font.ToUnicode = doc.Reference(_stream(made.cmap, made), "toUnicodeCMap:" + base)
            font.FontDescriptor = self._descriptor(doc, base, made)
            doc.Reference(font, internal)
            fonts[internal] = font
        del self.state[doc]

    def _subset(self, base: str, subset: tuple[int, ...], compress: bool) -> _Subset:
        key = (base, compress, *subset)
        made = self._subsets.get(key)
        if made is not None:
            self._subsets.move_to_end(key)
            return made
        face: Any = self.face
        pack = zlib.compress if compress else bytes
        raw = face.makeSubset(list(subset))
        widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset])
        made = _Subset(
            widths=pdfdoc.format(widths, None),
            cmap=pack(makeToUnicodeCMap(base, list(subset)).encode("latin-1")),
            font_file=pack(raw),
            font_length=len(raw),
            compressed=compress,
        )
        self._subsets[key] = made
        if len(self._subsets) > CACHED_SUBSETS:
            self._subsets.popitem(last=False)
        return made

    def _descriptor(self, doc: Any, base: str, made: _Subset) -> Any:
        face: Any = self.face
        font_file = _stream(made.font_file, made, {"Length1": made.font_length})
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(base),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": doc.Reference(font_file, f"fontFile:{face.filename}({base})"),
                "MissingWidth": face.defaultWidth,
            }
        )
        return doc.Reference(descriptor, "fontDescriptor:" + base)


def _stream(content: bytes, made: _Subset, entries: dict[str, object] | None = None) -> Any:
    """A stream whose content is already encoded (ReportLab adds /Length)."""
    dictionary = dict(entries or {})
    if made.compressed:
        dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    return pdfdoc.PDFStream(pdfdoc.PDFDictionary(dictionary), content, filters=[])
