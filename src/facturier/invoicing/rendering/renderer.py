"""Typst, kept warm: one compiler per process, fonts loaded once.

A render costs milliseconds because the compiler, its fonts and the parsed
layout stay in memory between renders (Typst memoizes what did not change).
That memory grows to a plateau and cannot be cleared, so web and worker
processes are recycled after a number of requests or tasks (see Makefile).

The layout, invoice.json and the Factur-X XML are handed to Typst as in-memory
(UTF-8) files; logos, which are binary, are content-addressed files under the
compiler's root. The compiler's sys.inputs never change, so Typst does not
re-hash its standard library on every render as it does when they change.
"""

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

import typst
from django.conf import settings

from facturier.invoicing.errors import InvoicingError

HERE = Path(__file__).resolve().parent
LAYOUT = HERE / "invoice.typ"
FONTS = HERE / "fonts"


class RenderFailed(InvoicingError):
    """Typst could not lay out the invoice (a bug in the layout, never user input)."""

    code = "render_failed"
    status = 500


class Renderer:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "logos").mkdir(parents=True, exist_ok=True)
        self._layout = LAYOUT.read_bytes()
        self._compiler = typst.Compiler(
            root=str(root),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,  # the same output on every machine
        )
        self._lock = threading.Lock()

    def logo_path(self, logo: bytes, content_type: str) -> str:
        """Logos are content-addressed files under the compiler's root."""
        suffix = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}.get(
            content_type, "png"
        )
        name = f"logos/{hashlib.sha256(logo).hexdigest()}.{suffix}"
        path = self.root / name
        if not path.exists():
            tmp = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            tmp.write_bytes(logo)
            tmp.replace(path)
        return "/" + name

    def render(
        self,
        document: dict[str, Any],
        *,
        files: dict[str, bytes] | None = None,  # UTF-8 text files by name
        fmt: str = "pdf",
        timestamp: float | None = None,
        pdf_standards: list[str] | None = None,
        ppi: float | None = None,
    ) -> bytes | list:
        """Lay out `document` (the layout's invoice.json); `files` are further inputs by name."""
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        inputs = {"main.typ": self._layout, "invoice.json": data.encode(), **(files or {})}
        kwargs: dict[str, Any] = {"input": inputs, "format": fmt, "pdf_tags": False}
        if timestamp is not None:
            kwargs["timestamp"] = int(timestamp)
        if pdf_standards:
            kwargs["pdf_standards"] = pdf_standards
        if ppi is not None:
            kwargs["ppi"] = ppi
        with self._lock:  # one compiler, one render at a time per process
            try:
                return self._compiler.compile(**kwargs)
            except (typst.TypstError, RuntimeError, ValueError) as exc:
                raise RenderFailed(str(exc)) from exc


_renderer: Renderer | None = None
_renderer_lock = threading.Lock()


def get_renderer() -> Renderer:
    global _renderer
    if _renderer is None:
        with _renderer_lock:
            if _renderer is None:
                _renderer = Renderer(Path(settings.VAR_DIR) / "typst")
    return _renderer
