"""Copia la dirección del repositorio y la versión del paquete en la celda de Colab de cada capítulo.

La primera celda de código de cada cuaderno instala ``vgcourse`` en Colab desde
``repository.url`` (``_config.yml``), en la etiqueta ``v<versión>`` (``vgcourse/__init__.py``).
Cuando cambia cualquiera de las dos, ejecuta desde la raíz del repositorio::

    python scripts/sync_colab.py

y vuelve a guardar los cuadernos en el repositorio. ``tests/test_notebooks.py`` falla mientras
alguna celda no coincida.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: la orden de instalación dentro de la celda: ``"vgcourse @ git+<url>@<ref>"``
INSTALL_RE = re.compile(r'"vgcourse @ git\+(?P<url>[^@"]+)@(?P<ref>[^"]+)"')


def repository_url() -> str:
    import yaml  # noqa: PLC0415

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"].rstrip("/")


def package_version() -> str:
    text = (ROOT / "vgcourse" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__ = "([^"]+)"', text).group(1)


def chapter_paths() -> list[Path]:
    import yaml  # noqa: PLC0415

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))

    def files(entries):  # cada capítulo y, detrás, sus páginas (``sections``)
        for entry in entries:
            yield entry["file"]
            yield from files(entry.get("sections", []))

    return [ROOT / f"{f}.ipynb" for part in toc["parts"] for f in files(part["chapters"])
            if f.startswith("chapters/")]


def sync() -> list[Path]:
    """Reescribe la celda de instalación de cada capítulo; devuelve los cuadernos cambiados."""
    import nbformat  # noqa: PLC0415

    target = f'"vgcourse @ git+{repository_url()}@v{package_version()}"'
    changed = []
    for path in chapter_paths():
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if c.cell_type == "code")
        new = INSTALL_RE.sub(target, cell.source)
        if new != cell.source:
            cell.source = new
            nbformat.write(nb, path)
            changed.append(path)
    return changed


if __name__ == "__main__":
    if len(sys.argv) > 1:
        print(__doc__)
        sys.exit(2)
    for path in sync():
        print(f"actualizado: {path.relative_to(ROOT)}")
