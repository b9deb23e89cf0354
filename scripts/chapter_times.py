"""Cuánto tarda cada página de capítulo en ejecutarse, y cuántas compilaciones de XLA hace.

Lo que un estudiante siente del rendimiento es cuánto tarda un capítulo de principio a fin.
Este script da esa cifra por página, para regenerar la tabla del README en lugar de
escribirla a mano:

    python scripts/chapter_times.py                 # del último libro construido (_build)
    python scripts/chapter_times.py --ejecutar      # ejecuta cada página aquí y cuenta compilaciones
    python scripts/chapter_times.py --ejecutar --celdas 5 04_5   # y las 5 celdas más lentas

- Sin opciones, lee el tiempo de ejecución que myst-nb guardó para cada cuaderno en el entorno
  de Sphinx de la última construcción (``_build/.doctrees/environment.pickle``): el tiempo que
  pagó esa construcción, con la máquina como estuviera.
- Con ``--ejecutar``, ejecuta cada página con nbclient (un núcleo nuevo por página, en esta
  máquina y con este entorno) y añade, con ``jax.monitoring``, cuántas funciones compiló XLA y
  cuánto tiempo pasó compilando. Tarda lo que tarden todas las páginas.

Con ``--celdas N`` (y ``--ejecutar``), imprime además las N celdas más lentas de cada página,
con su primera línea: dónde se va el tiempo.

Imprime una tabla en Markdown (página, segundos, compilaciones, segundos compilando) con el
total y marca las páginas que pasan del objetivo de 60 s. No es una prueba: el tiempo depende de
la máquina y de su carga, y se mide, no se exige.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from sync_colab import chapter_paths  # noqa: E402

GOAL_S = 60.0

# primera y última celda añadidas al ejecutar: cuentan las compilaciones del backend
COUNT_START = """
import jax as _jax
_compiles = {"n": 0, "s": 0.0}
def _on_compile(event, duration, **kwargs):
    if event == "/jax/core/compile/backend_compile_duration":
        _compiles["n"] += 1
        _compiles["s"] += duration
_jax.monitoring.register_event_duration_secs_listener(_on_compile)
"""
COUNT_END = "import json as _json\nprint(_json.dumps(_compiles))"


def from_build(build: Path) -> dict[str, dict]:
    """Los tiempos de ejecución que myst-nb guardó en la última construcción."""
    pickle_path = build / ".doctrees" / "environment.pickle"
    if not pickle_path.exists():
        sys.exit(f"No hay una construcción en {build} (falta {pickle_path}): construye el libro "
                 "primero o usa --ejecutar.")
    env = pickle.loads(pickle_path.read_bytes())
    metadata = getattr(env, "nb_metadata", {})
    rows = {}
    for path in chapter_paths():
        name = str(path.relative_to(ROOT).with_suffix(""))
        data = metadata.get(name, {}).get("exec_data")
        if data is None:
            sys.exit(f"La construcción de {build} no ejecutó {name} (¿execute_notebooks: off?).")
        rows[name] = {"segundos": float(data["runtime"]), "ok": bool(data["succeeded"])}
    return rows


def _cell_seconds(cell) -> float:
    """Segundos entre el inicio y la respuesta de una celda, de los tiempos que guarda nbclient."""
    from datetime import datetime  # noqa: PLC0415

    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def slowest_cells(nb, n: int) -> list[tuple[float, int, str]]:
    """Las ``n`` celdas de código más lentas: (segundos, número de celda, primera línea)."""
    rows = []
    for i, cell in enumerate(nb.cells[1:-1]):  # i: índice en el cuaderno original
        if cell.cell_type == "code":
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            rows.append((_cell_seconds(cell), i, first[:70]))
    return sorted(rows, reverse=True)[:n]


def execute(timeout: int, pages: list[str] | None = None, cells: int = 0) -> dict[str, dict]:
    """Ejecuta cada página (o solo las que contienen alguno de ``pages``) con nbclient y cuenta
    sus compilaciones."""
    import nbformat  # noqa: PLC0415
    from nbclient import NotebookClient  # noqa: PLC0415

    rows = {}
    for path in chapter_paths():
        if pages and not any(p in path.name for p in pages):
            continue
        nb = nbformat.read(path, as_version=4)
        nb.cells.insert(0, nbformat.v4.new_code_cell(COUNT_START))
        nb.cells.append(nbformat.v4.new_code_cell(COUNT_END))
        start = time.perf_counter()
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        seconds = time.perf_counter() - start
        counts = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs))
        name = str(path.relative_to(ROOT).with_suffix(""))
        rows[name] = {"segundos": seconds, "ok": True, "compilaciones": counts["n"],
                      "compilando": counts["s"]}
        print(f"{name}: {seconds:.0f} s, {counts['n']} compilaciones", file=sys.stderr)
        for cell_s, i, first in slowest_cells(nb, cells):
            print(f"    celda {i:3d}: {cell_s:6.1f} s  {first}", file=sys.stderr)
    return rows


def table(rows: dict[str, dict]) -> str:
    with_compiles = all("compilaciones" in r for r in rows.values())
    head = "| página | segundos |" + (" compilaciones | segundos compilando |" if with_compiles else "")
    sep = "|---|---:|" + ("---:|---:|" if with_compiles else "")
    lines = [head, sep]
    for name, r in rows.items():
        mark = "" if round(r["segundos"]) <= GOAL_S else " ✗"
        line = f"| `{name}` | {r['segundos']:.0f}{mark} |"
        if with_compiles:
            line += f" {r['compilaciones']} | {r['compilando']:.1f} |"
        lines.append(line)
    total = sum(r["segundos"] for r in rows.values())
    over = sum(round(r["segundos"]) > GOAL_S for r in rows.values())
    lines.append(f"| **total** | **{total:.0f}** |" + (" | |" if with_compiles else ""))
    lines.append("")
    lines.append(f"{over} de {len(rows)} páginas pasan de {GOAL_S:.0f} s (✗).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build", type=Path, default=ROOT / "_build",
                        help="carpeta de la construcción (por defecto, _build)")
    parser.add_argument("--ejecutar", action="store_true",
                        help="ejecutar cada página aquí y contar sus compilaciones")
    parser.add_argument("--celdas", type=int, default=0, metavar="N",
                        help="con --ejecutar, imprimir también las N celdas más lentas de cada página")
    parser.add_argument("--timeout", type=int, default=600, help="segundos por celda")
    parser.add_argument("paginas", nargs="*",
                        help="con --ejecutar, solo las páginas cuyo nombre contiene alguno de "
                             "estos textos (p. ej. 07_recurrentes)")
    args = parser.parse_args(argv)
    rows = execute(args.timeout, args.paginas, args.celdas) if args.ejecutar else from_build(args.build)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
