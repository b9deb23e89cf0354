"""La red de partida de los capítulos 4 y 5 y sus variantes: el estudio de ablación, como datos.

La **red de partida** sufre el gradiente de fuga en su forma más pura: 20 capas ocultas de 64
unidades, sigmoide, la inicialización estándar U(±1/√n), sesgos a cero, entropía cruzada sobre
los dígitos de scikit-learn (64 entradas, 10 clases) y la clave ``jax.random.key(0)``. Cada
variante cambia uno o dos factores (:data:`VARIANTS`).

El protocolo de entrenamiento es el mismo en los dos capítulos: descenso de gradiente con el
lote completo durante :data:`STEPS` pasos, con la tasa de cada variante elegida entre
:data:`RATES` por :func:`vgcourse.train_lr_grid` (la menor de las que acaban a menos de un 1 %
de la pérdida más baja). Con 100 pasos, todas las variantes entrenan sin caos: redondear de otra
forma la última cifra de float64 (otro número de hilos, otra versión de JAX) cambia la pérdida
final en menos de 1e-6 (lo comprueba ``tests/test_claims.py``). Con más pasos, ReLU + He entra en
un régimen caótico y sus cifras dejan de ser reproducibles (capítulo 4).

``Variant.learning_rate`` guarda la tasa que elige la búsqueda, para que el capítulo 5 la use sin
repetirla; una prueba comprueba que la búsqueda sigue eligiendo esa tasa.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax

from vgcourse._core import Params
from vgcourse._validation import check_choice
from vgcourse.initializers import INITIALIZERS
from vgcourse.networks import init_mlp

__all__ = ["BASELINE", "RATES", "STEPS", "VARIANTS", "Variant", "baseline_params"]

#: la red de partida: profundidad, anchura, entradas (píxeles de 8×8), clases y semilla
BASELINE = {"depth": 20, "width": 64, "n_in": 64, "n_out": 10, "seed": 0}
#: tasas de aprendizaje que prueba :func:`vgcourse.train_lr_grid` para cada variante
RATES = (0.01, 0.03, 0.1, 0.3)
#: pasos de descenso de gradiente de lote completo
STEPS = 100


@dataclass(frozen=True)
class Variant:
    """Una variante de la red de partida."""

    label: str                 #: nombre en español (tablas y leyendas)
    activation: str
    init: str
    learning_rate: float       #: la tasa que elige la búsqueda entre :data:`RATES`
    residual: bool = False     #: con el bloque residual estándar (α = 1)
    batchnorm: bool = False

    def options(self) -> dict:
        """Arquitectura, para :func:`vgcourse.train` o :func:`vgcourse.layer_gradients`."""
        return {"activation": self.activation, "residual": self.residual,
                "batchnorm": self.batchnorm}


#: las variantes del estudio de ablación (la primera es la red de partida)
VARIANTS: dict[str, Variant] = {
    "base": Variant("Partida: sigmoide, estándar", "sigmoid", "standard", 0.01),
    "relu": Variant("ReLU", "relu", "standard", 0.01),
    "relu_he": Variant("ReLU + He", "relu", "he_normal", 0.03),
    "xavier": Variant("Xavier", "sigmoid", "xavier_normal", 0.01),
    "res": Variant("Residual", "sigmoid", "standard", 0.1, residual=True),
    "bn": Variant("Normalización por lotes", "sigmoid", "standard", 0.3, batchnorm=True),
    "res_bn": Variant("Residual + normalización", "sigmoid", "standard", 0.1, residual=True,
                      batchnorm=True),
}


def baseline_params(init: str = "standard", *, depth: int | None = None,
                    gain: float = 1.0, seed: int | None = None) -> Params:
    """Los pesos de la red de partida (o de otra profundidad) con la inicialización ``init``.

    Dos variantes con la misma inicialización tienen exactamente los mismos pesos; la capa l
    no depende de la profundidad total (``fold_in`` por capa, :func:`vgcourse.init_mlp`).
    """
    init = check_choice("init", init, INITIALIZERS)
    b = BASELINE
    return init_mlp(
        jax.random.key(b["seed"] if seed is None else seed),
        depth=b["depth"] if depth is None else depth, width=b["width"], n_in=b["n_in"],
        n_out=b["n_out"], init=init, gain=gain,
    )
