"""Typst, kept warm: one compiler per process, fonts loaded once.

A render costs milliseconds because the compiler, its fonts and the parsed
layout stay in memory between renders (Typst memoizes what did not change).
That memory grows to a plateau and cannot be cleared, so web and worker
processes are recycled after a number of requests or tasks (see Makefile).

What a render reads are files under the compiler's root (VAR_DIR/typst): the
layout, copied there under its content hash; logos, content-addressed; and this
renderer's input files (the invoice's JSON, the Factur-X XML, the EPC QR code's SVG),
written before
and removed after each render. Their paths are the compiler's sys.inputs, which
never change: new sys.inputs make Typst hash its whole standard library again,
and a layout handed in as bytes is parsed again, on every render.
"""

import hashlib
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

import typst
from django.conf import settings

from facturier.core.errors import DomainError

HERE = Path(__file__).resolve().parent
LAYOUT = HERE / "invoice.typ"
FONTS = HERE / "fonts"


class RenderFailed(DomainError):
    """Typst could not lay out the invoice (a bug in the layout, never user input)."""

    code = "render_failed"
    status = 500


class Renderer:
    def __init__(self, root: Path, layout_file: Path = LAYOUT) -> None:
        self.root = root
        layout = _store(root, "layouts", layout_file.read_bytes(), "typ")
        # This renderer's own input files: processes share the root.
        inputs = f"inputs/{secrets.token_hex(8)}"
        self._data = root / f"{inputs}.json"
        self._facturx = root / f"{inputs}.xml"
        self._epc_qr = root / f"{inputs}.svg"
        self._data.parent.mkdir(parents=True, exist_ok=True)
        self._compiler = typst.Compiler(
            str(root / layout),
            root=str(root),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,  # the same output on every machine
            sys_inputs={
                "document": f"/{inputs}.json",
                "facturx": f"/{inputs}.xml",
                "epc_qr": f"/{inputs}.svg",
            },
        )
        self._lock = threading.Lock()
        self.pid = os.getpid()

    def logo_path(self, logo: bytes, content_type: str) -> str:
        """Logos are content-addressed files under the compiler's root."""
        suffix = {"image/png": "png", "image/jpeg": "jpg", "image/svg+xml": "svg"}.get(
            content_type, "png"
        )
        return "/" + _store(self.root, "logos", logo, suffix)

    def render(
        self,
        document: dict[str, Any],
        *,
        facturx_xml: bytes | None = None,
        epc_qr_svg: bytes | None = None,
        fmt: str = "pdf",
        timestamp: float | None = None,
        pdf_standards: list[str] | None = None,
        ppi: float | None = None,
    ) -> bytes | list:
        """Lay out `document` (what the layout reads as the invoice); `facturx_xml` is
        attached, `epc_qr_svg` is the image the layout reads as the EPC QR code."""
        data = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        kwargs: dict[str, Any] = {"format": fmt, "pdf_tags": False}
        if timestamp is not None:
            kwargs["timestamp"] = int(timestamp)
        if pdf_standards:
            kwargs["pdf_standards"] = pdf_standards
        if ppi is not None:
            kwargs["ppi"] = ppi
        with self._lock:  # one compiler, one render at a time per process
            self._data.write_bytes(data)
            if facturx_xml is not None:
                self._facturx.write_bytes(facturx_xml)
            if epc_qr_svg is not None:
                self._epc_qr.write_bytes(epc_qr_svg)
            try:
                return self._compiler.compile(**kwargs)
            except (typst.TypstError, RuntimeError, ValueError) as exc:
                raise RenderFailed(str(exc)) from exc
            finally:
                self._data.unlink(missing_ok=True)
                self._facturx.unlink(missing_ok=True)
                self._epc_qr.unlink(missing_ok=True)


def _store(root: Path, folder: str, content: bytes, suffix: str) -> str:
    """A content-addressed file under root, written once (atomically); its relative path."""
    name = f"{folder}/{hashlib.sha256(content).hexdigest()}.{suffix}"
    path = root / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{secrets.token_hex(8)}.tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    return name


_renderers: dict[Path, Renderer] = {}
_renderer_lock = threading.Lock()


def get_renderer(layout_file: Path = LAYOUT) -> Renderer:
    """This process's renderer of a layout (the invoice's unless said): a forked child
    makes its own, since Typst's threads don't fork."""
    renderer = _renderers.get(layout_file)
    if renderer is None or renderer.pid != os.getpid():
        with _renderer_lock:
            renderer = _renderers.get(layout_file)
            if renderer is None or renderer.pid != os.getpid():
                renderer = Renderer(Path(settings.VAR_DIR) / "typst", layout_file)
                _renderers[layout_file] = renderer
    return renderer
