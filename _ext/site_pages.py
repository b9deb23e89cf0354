"""Ayuda común de las extensiones locales: las páginas HTML de una construcción terminada."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path


def built_pages(app, exception) -> Iterator[Path]:
    """Las páginas ``.html`` de la salida, si la construcción HTML terminó sin error."""
    if exception is not None or app.builder.format != "html":
        return
    yield from Path(app.outdir).rglob("*.html")


def rewrite_pages(app, exception, transform: Callable[[str], str]) -> None:
    """Aplica ``transform`` al texto de cada página y la reescribe si cambia."""
    for page in built_pages(app, exception):
        text = page.read_text(encoding="utf-8")
        new = transform(text)
        if new != text:
            page.write_text(new, encoding="utf-8")
