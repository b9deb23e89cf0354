"""Latencia de los exploradores interactivos. No es una prueba: imprime tiempos.

Mide lo que espera quien mueve un control: desde que cambia el valor del control hasta
que el widget ``Image`` tiene la figura nueva (cálculo con JAX + dibujo + PNG). Con el
núcleo de Jupyter, la ida y vuelta del mensaje al navegador se suma a esto.

Para cada vista del explorador (la de cada capítulo) se recorre una secuencia fija de
cambios de activación, inicialización, profundidad y anchura, después de calentar
(una primera vuelta que compila y llena las cachés). También cuenta las compilaciones
de la función del explorador durante la medida: deben ser 0.

Uso::

    python benchmarks/widgets.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import matplotlib  # noqa: E402

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import vgcourse as vg  # noqa: E402
from vgcourse.explorer import EXPLORER_INITS, GradientExplorer  # noqa: E402
from vgcourse.widgets import gradient_explorer  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers import count_compilations  # noqa: E402  (el mismo contador que las pruebas)


def sequence():
    """Una secuencia de cambios que recorre cada control varias veces."""
    steps = []
    for act in ("relu", "tanh", "gelu", "sigmoid", "selu", "leaky_relu"):
        steps.append(("activation", act))
        for init in ("he_normal", "standard", "xavier_normal"):
            steps.append(("init", init))
        for depth in (10, 45, 60, 30):
            steps.append(("depth", depth))
        for width in (16, 128, 64):
            steps.append(("width", width))
    return steps


def main() -> None:
    vg.enable_x64()
    t0 = time.perf_counter()
    explorer = GradientExplorer(seed=0, max_depth=60)
    print(f"explorador (sorteo de pesos): {time.perf_counter() - t0:.2f} s")
    for view in ("gradientes", "teoria", "activacion"):
        t0 = time.perf_counter()
        ui = gradient_explorer(explorer, view=view)
        first = time.perf_counter() - t0
        for name, value in sequence():  # calentamiento: compila y llena cachés (χ₁, curvas)
            ui.controls[name].value = value
        ui.latencies.clear()
        with count_compilations() as compiled:
            for name, value in sequence():
                ui.controls[name].value = value
        lat = np.array(ui.latencies) * 1000
        print(f"vista {view:10s}: primera figura {first:.2f} s; {lat.size} cambios tras calentar: "
              f"mediana {statistics.median(lat):.0f} ms, p90 {np.percentile(lat, 90):.0f} ms, "
              f"máx {lat.max():.0f} ms; compilaciones nuevas: {sum(compiled.values())}")
    print(f"inicializaciones del explorador: {', '.join(EXPLORER_INITS)}")


if __name__ == "__main__":
    main()
