"""Un cuaderno roto rompe la construcción y la orden de pruebas, y muestra el traceback.

Se construye un libro mínimo, con la misma configuración de ejecución que el curso, cuyo
único cuaderno lanza una excepción, y se pasa nbval por el mismo cuaderno.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _broken_book(tmp_path: Path) -> Path:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    book = tmp_path / "libro"
    book.mkdir()
    mini = {
        "title": "Prueba",
        "only_build_toc_files": True,
        "execute": config["execute"],
        "sphinx": {"config": {k: config["sphinx"]["config"][k] for k in (
            "language", "nb_execution_raise_on_error", "nb_execution_show_tb")}},
    }
    (book / "_config.yml").write_text(yaml.safe_dump(mini), encoding="utf-8")
    (book / "_toc.yml").write_text("format: jb-book\nroot: roto\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Roto"),
        nbformat.v4.new_code_cell('x = 1\nraise ValueError("celda rota a propósito")'),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, book / "roto.ipynb")
    return book


def test_a_broken_notebook_fails_the_build_and_nbval_with_its_traceback(tmp_path):
    book = _broken_book(tmp_path)
    build = subprocess.run(
        [str(BIN / "jupyter-book"), "build", "-W", "-n", "--keep-going", str(book)],
        capture_output=True, text=True, timeout=600,
    )
    log = build.stdout + build.stderr
    assert build.returncode != 0, log[-2000:]
    assert "ValueError" in log and "celda rota a propósito" in log, log[-2000:]

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=",
         "--nbval", "--nbval-current-env", str(book / "roto.ipynb")],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )
    out = tests.stdout + tests.stderr
    assert tests.returncode != 0, out[-2000:]
    assert "ValueError" in out and "celda rota a propósito" in out, out[-2000:]
