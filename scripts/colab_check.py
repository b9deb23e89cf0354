"""Ejecuta capítulos con la pila de Google Colab, instalando ``vgcourse`` como en Colab.

Un curso que depende de Colab tiene que enterarse cuando sus cuadernos dejan de ejecutarse
allí. Este script reproduce, en esta máquina, lo que pasa al abrir un capítulo en Colab:

1. crea un entorno nuevo (``_build/colab/venv``) con Python 3.13, la versión de Colab, si la
   encuentra, y las versiones de ``requirements-colab.txt`` (copiadas de la lista que publica
   Colab; la fecha y el origen están en ese archivo);
2. crea un clon local del repositorio con la etiqueta de la versión del paquete (``v0.1.0``),
   hecho a partir de los archivos de esta copia de trabajo;
3. ejecuta cada cuaderno de principio a fin con nbclient, en un núcleo de ese entorno, con un
   módulo ``google.colab`` de sustitución: así la primera celda del cuaderno, **sin cambios**,
   instala ``vgcourse`` con ``pip install --no-deps "vgcourse @ git+<repositorio>@v0.1.0"``.
   Git redirige la dirección del repositorio de ``_config.yml`` al clon local
   (``url.<clon>.insteadOf``), sin tocar la configuración global;
4. falla si alguna celda da un error o escribe algo en stderr.

Uso, desde la raíz del repositorio::

    python scripts/colab_check.py                 # el capítulo 1 (lo que ejecuta .ci/run)
    python scripts/colab_check.py --all           # todas las páginas de capítulo (unos 10 min)
    python scripts/colab_check.py chapters/05_dinamica.ipynb

Lo que no reproduce: el hardware de Colab, su kernel (Colab usa su propio servidor, no
nbclient) y los avisos de pip por instalar como root, que aquí se silencian con
``PIP_ROOT_USER_ACTION=ignore`` porque Colab no los muestra como error. La caché de fuentes de
matplotlib se construye antes de ejecutar nada, como ya lo está en la imagen de Colab.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from sync_colab import (  # noqa: E402
    INSTALL_RE,
    chapter_paths,
    package_version,
    repository_url,
)

ENV = ROOT / "_build" / "colab" / "venv"
REQUIREMENTS = ROOT / "requirements-colab.txt"
COLAB_PYTHON = "3.13"

# Se ejecuta dentro del entorno de Colab: un núcleo nuevo por cuaderno, con el módulo
# google.colab de sustitución creado antes de la primera celda (Colab lo tiene importado).
RUNNER = r'''
import json, sys, time
import nbformat
from nbclient import NotebookClient

# google.colab con su submódulo output (jax.debug lo importa en cuanto ve google.colab)
SETUP = """import sys, types
colab = types.ModuleType("google.colab")
colab.output = sys.modules["google.colab.output"] = types.ModuleType("google.colab.output")
sys.modules["google.colab"] = colab"""
path, timeout = sys.argv[1], int(sys.argv[2])
nb = nbformat.read(path, as_version=4)
nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP))
start = time.perf_counter()
error = None
try:
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": sys.argv[3]}}).execute()
except Exception as exc:  # el informe de abajo dice qué celda falló
    error = f"{type(exc).__name__}: {exc}"[-3000:]
problems = []
for i, cell in enumerate(nb.cells[1:], start=1):
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            problems.append(f"celda {i}: error {out.get('ename')}: {out.get('evalue')}"[:2000])
        elif out.get("output_type") == "stream" and out.get("name") == "stderr":
            problems.append(f"celda {i}: stderr: {out.get('text', '')}"[:2000])
print(json.dumps({"seconds": time.perf_counter() - start, "error": error,
                  "problems": problems}))
'''


def find_python(version: str) -> str:
    """Un intérprete de Python ``version`` que funcione; si no hay, el que ejecuta este script."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(str(pyenv / "versions" / f"{version}*" / "bin" / f"python{version}")),
                         reverse=True)
    for exe in filter(None, candidates):
        try:
            out = subprocess.run([exe, "-c", "import sys, venv; print(sys.version)"],
                                 capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.startswith(version):
            return exe
    print(f"aviso: no hay Python {version} (el de Colab); se usa {sys.version.split()[0]}",
          file=sys.stderr)
    return sys.executable


def run(cmd, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kwargs)


def make_env(python: str) -> Path:
    """El entorno con la pila de Colab; se rehace si cambia requirements-colab.txt."""
    stamp = ENV / "requirements-colab.txt"
    exe = ENV / "bin" / "python"
    if exe.exists() and stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text():
        return exe
    shutil.rmtree(ENV, ignore_errors=True)
    run([python, "-m", "venv", str(ENV)])
    run([str(exe), "-m", "pip", "install", "-qq", "--upgrade", "pip"])
    run([str(exe), "-m", "pip", "install", "-qq", "-r", str(REQUIREMENTS)])
    # la imagen de Colab ya tiene construida la caché de fuentes de matplotlib
    run([str(exe), "-c", "import matplotlib.font_manager"])
    shutil.copy(REQUIREMENTS, stamp)
    return exe


def tagged_clone(workdir: Path) -> Path:
    """Un repositorio git con los archivos de esta copia de trabajo y la etiqueta v<versión>."""
    files = run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard"], capture_output=True).stdout.decode().split("\0")
    clone = workdir / "repositorio"
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            dst = clone / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    git = ["git", "-C", str(clone), "-c", "user.name=curso", "-c", "user.email=curso@localhost"]
    run(git[:3] + ["init", "--quiet", "--initial-branch=main"])
    run(git + ["add", "-A"])
    run(git + ["commit", "--quiet", "-m", "copia de trabajo"])
    run(git + ["tag", f"v{package_version()}"])
    return clone


def check_install_cell(path: Path) -> None:
    """La primera celda instala la versión de vgcourse que este script etiqueta."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = next(c for c in nb["cells"] if c["cell_type"] == "code")
    match = INSTALL_RE.search("".join(first["source"]))
    if not match or match["ref"] != f"v{package_version()}" or match["url"] != repository_url():
        sys.exit(f"{path.name}: la primera celda no instala vgcourse desde {repository_url()}"
                 f"@v{package_version()} (ejecuta python scripts/sync_colab.py)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="cuadernos que ejecutar (por defecto, el capítulo 1)")
    parser.add_argument("--all", action="store_true", help="todas las páginas de capítulo")
    parser.add_argument("--timeout", type=int, default=600, help="segundos por celda")
    args = parser.parse_args(argv)
    chapters = chapter_paths()
    notebooks = chapters if args.all else [p.resolve() for p in args.notebooks] or chapters[:1]

    start = time.perf_counter()
    exe = make_env(find_python(COLAB_PYTHON))
    versions = subprocess.run(
        [str(exe), "-c", "import sys, jax, numpy, matplotlib, ipywidgets, sklearn, optax;"
         "print(f'Python {sys.version.split()[0]}, jax {jax.__version__}, numpy {numpy.__version__},"
         " matplotlib {matplotlib.__version__}, ipywidgets {ipywidgets.__version__},"
         " scikit-learn {sklearn.__version__}, optax {optax.__version__}')"],
        check=True, capture_output=True, text=True).stdout.strip()
    print(f"entorno de Colab ({time.perf_counter() - start:.0f} s): {versions}")

    failures = 0
    with tempfile.TemporaryDirectory(prefix="colab-") as tmp:
        clone = tagged_clone(Path(tmp))
        env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore", PIP_DISABLE_PIP_VERSION_CHECK="1",
                   GIT_CONFIG_COUNT="1", GIT_CONFIG_KEY_0=f"url.{clone.as_uri()}.insteadOf",
                   GIT_CONFIG_VALUE_0=repository_url())
        env.pop("PYTHONPATH", None)
        workdir = Path(tmp) / "contenido"  # como /content en Colab: sin el repositorio al lado
        workdir.mkdir()
        for path in notebooks:
            check_install_cell(path)
            # cada cuaderno instala vgcourse desde cero, como una sesión nueva de Colab
            subprocess.run([str(exe), "-m", "pip", "uninstall", "--quiet", "--yes", "vgcourse"],
                           env=env, capture_output=True)
            out = subprocess.run([str(exe), "-c", RUNNER, str(path), str(args.timeout),
                                  str(workdir)], env=env, capture_output=True, text=True,
                                 cwd=workdir)
            try:
                report = json.loads(out.stdout.strip().splitlines()[-1])
            except (IndexError, json.JSONDecodeError):
                report = {"seconds": 0, "error": out.stderr[-3000:], "problems": []}
            bad = report["problems"] + ([report["error"]] if report["error"] else [])
            name = path.relative_to(ROOT)
            print(f"{name}: {report['seconds']:.0f} s, " + ("sin errores ni stderr" if not bad
                                                             else f"{len(bad)} problemas"))
            for line in bad:
                print(f"  {line}")
            failures += bool(bad)
    print(f"total: {time.perf_counter() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
