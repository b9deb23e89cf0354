"""Latencia de los exploradores interactivos. No es una prueba: imprime tiempos.

Mide lo que espera quien mueve un control: desde que cambia el valor del control hasta
que el widget ``Image`` tiene la figura nueva (cálculo con JAX + dibujo + PNG). Con el
núcleo de Jupyter, la ida y vuelta del mensaje al navegador se suma a esto.

Para cada vista del explorador (la de cada capítulo) se recorre una secuencia fija de
cambios de activación, inicialización, profundidad y anchura, después de calentar
(una primera vuelta que compila y llena las cachés). También cuenta las compilaciones
de la función del explorador durante la medida: deben ser 0. Después, lo mismo con el
explorador recurrente del capítulo 7 (modelo, longitud, valor singular y sesgo de olvido).

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
from vgcourse.widgets import RECURRENT_MODELS, gradient_explorer, recurrent_explorer  # noqa: E402

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


def recurrent_sequence():
    """Cambios del explorador recurrente: cada modelo con varias longitudes, valores
    singulares y sesgos de olvido."""
    steps = []
    for model in RECURRENT_MODELS:
        steps.append(("model", model))
        for length in (50, 200, 100):
            steps.append(("length", length))
        for scale in (0.8, 1.2, 1.0):
            steps.append(("scale", scale))
        for bias in (0.0, 2.0, 1.0):
            steps.append(("forget_bias", bias))
    return steps


def report(name: str, first: float, latencies, compiled: int) -> None:
    lat = np.array(latencies) * 1000
    print(f"{name:16s}: primera figura {first:.2f} s; {lat.size} cambios tras calentar: "
          f"mediana {statistics.median(lat):.0f} ms, p90 {np.percentile(lat, 90):.0f} ms, "
          f"máx {lat.max():.0f} ms; compilaciones nuevas: {compiled}")


def measure(ui, steps) -> tuple[list[float], int]:
    for name, value in steps:  # calentamiento: compila y llena cachés (χ₁, curvas)
        ui.controls[name].value = value
    ui.latencies.clear()
    with count_compilations() as compiled:
        for name, value in steps:
            ui.controls[name].value = value
    return list(ui.latencies), sum(compiled.values())


def main() -> None:
    vg.enable_x64()
    t0 = time.perf_counter()
    explorer = GradientExplorer(seed=0, max_depth=60)
    print(f"explorador (sorteo de pesos): {time.perf_counter() - t0:.2f} s")
    for view in ("gradientes", "teoria", "activacion"):
        t0 = time.perf_counter()
        ui = gradient_explorer(explorer, view=view)
        first = time.perf_counter() - t0
        report(f"vista {view}", first, *measure(ui, sequence()))
    t0 = time.perf_counter()
    ui = recurrent_explorer()
    report("recurrente", time.perf_counter() - t0, *measure(ui, recurrent_sequence()))
    print(f"inicializaciones del explorador: {', '.join(EXPLORER_INITS)}")


if __name__ == "__main__":
    main()
