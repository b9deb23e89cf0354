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

from vgcourse._core import LayerGradients, Params
from vgcourse._validation import check_choice, check_learning_rates
from vgcourse.concurrency import parallel_map
from vgcourse.datasets import Dataset
from vgcourse.gradients import layer_gradients
from vgcourse.initializers import INITIALIZERS
from vgcourse.networks import init_mlp
from vgcourse.training import GridResult, TrainingHistory, train, train_lr_grid

__all__ = [
    "BASELINE",
    "RATES",
    "STEPS",
    "VARIANTS",
    "Variant",
    "baseline_params",
    "initial_gradients",
    "search_learning_rate",
    "search_learning_rates",
    "train_variant",
]

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


def _variant(variant: str | Variant) -> Variant:
    if isinstance(variant, Variant):
        return variant
    return VARIANTS[check_choice("variant", variant, VARIANTS)]


_ARCHITECTURE = ("activation", "residual", "residual_scale", "batchnorm")
_HOW = ("learning_rate", "optimizer", "progress")


def _split(v: Variant, overrides: dict, allowed: tuple[str, ...], where: str) -> tuple[dict, dict]:
    """Separa ``overrides`` en arquitectura (sobre ``v.options()``) y el resto, con un error en
    español si alguna clave no vale."""
    unknown = sorted(set(overrides) - set(_ARCHITECTURE) - set(allowed))
    if unknown:
        valid = ", ".join((*_ARCHITECTURE, *allowed))
        raise TypeError(f"{where} no acepta {', '.join(map(repr, unknown))}. "
                        f"Las opciones válidas son: {valid}.")
    arch = {**v.options(), **{k: overrides[k] for k in _ARCHITECTURE if k in overrides}}
    rest = {k: overrides[k] for k in allowed if k in overrides}
    return arch, rest


def train_variant(variant: str | Variant, data: Dataset, *, steps: int = STEPS,
                  record_every: int = 10, seed: int | None = None, **overrides) -> TrainingHistory:
    """Entrena una variante de la red de partida con los dígitos ``data``.

    Por defecto, descenso de gradiente con la tasa que le eligió la búsqueda
    (``Variant.learning_rate``) durante :data:`STEPS` pasos, con los pesos de la clave
    ``jax.random.key(0)``.

    Args:
        variant: el nombre de una variante de :data:`VARIANTS` o una :class:`Variant`.
        data: los datos (:func:`vgcourse.load_digits`).
        steps, record_every: pasos y pasos entre registros.
        seed: otra semilla para los pesos iniciales.
        **overrides: otra ``learning_rate`` u otro ``optimizer`` (y, como en
            :func:`vgcourse.train`, ``progress``), o un cambio de arquitectura
            (``activation``, ``residual``, ``residual_scale``, ``batchnorm``).
    """
    v = _variant(variant)
    arch, how = _split(v, overrides, _HOW, "`train_variant`")
    if "learning_rate" not in how and "optimizer" not in how:
        how["learning_rate"] = v.learning_rate
    return train(baseline_params(v.init, seed=seed), data.x_train, data.y_train, steps=steps,
                 record_every=record_every, x_test=data.x_test, y_test=data.y_test,
                 **how, **arch)


def search_learning_rate(variant: str | Variant, data: Dataset, *,
                         rates: tuple[float, ...] = RATES, steps: int = STEPS,
                         record_every: int = 10) -> GridResult:
    """La búsqueda de la tasa de una variante: :func:`vgcourse.train_lr_grid` con las tasas
    ``rates`` y :data:`STEPS` pasos (la que da ``Variant.learning_rate``)."""
    v = _variant(variant)
    return train_lr_grid(baseline_params(v.init), data.x_train, data.y_train,
                         learning_rates=rates, steps=steps, record_every=record_every,
                         x_test=data.x_test,
                         y_test=data.y_test, **v.options())


def search_learning_rates(variants: dict[str, Variant] | tuple[str, ...], data: Dataset, *,
                          rates: tuple[float, ...] = RATES, steps: int = STEPS,
                          record_every: int = 10) -> dict[str, GridResult]:
    """:func:`search_learning_rate` de varias variantes a la vez: ``{nombre: GridResult}``.

    Da exactamente lo mismo que buscar una variante detrás de otra, pero reparte entre los
    núcleos todos los entrenamientos (variantes × tasas) en un solo :func:`vgcourse.parallel_map`,
    en el orden que mejor los ocupa: primero una tasa de cada variante (las compilaciones de
    arquitecturas distintas van a la vez) y después las demás, que ya encuentran su programa
    compilado.

    Args:
        variants: nombres de variantes de :data:`VARIANTS` (o el propio diccionario).
        data: los datos (:func:`vgcourse.load_digits`).
        rates, steps, record_every: como en :func:`search_learning_rate`.
    """
    names = [check_choice("variant", v, VARIANTS) for v in variants]
    rates = check_learning_rates("rates", rates)
    tasks = [(name, rate) for rate in rates for name in names]
    runs = parallel_map(lambda t: train_variant(t[0], data, learning_rate=t[1], steps=steps,
                                                record_every=record_every), tasks)
    done = dict(zip(tasks, runs, strict=True))
    return {name: GridResult.select(rates, [done[name, rate] for rate in rates])
            for name in names}


def initial_gradients(variant: str | Variant, data: Dataset, *, depth: int | None = None,
                      init: str | None = None, gain: float = 1.0,
                      **architecture) -> LayerGradients:
    """Los gradientes por capa de una variante al inicializar, con los dígitos de entrenamiento
    y la entropía cruzada (en las redes residuales, los del tronco, ∂L/∂h_l).

    Args:
        variant: el nombre de una variante de :data:`VARIANTS` o una :class:`Variant`.
        data: los datos (:func:`vgcourse.load_digits`).
        depth: otra profundidad (los pesos de la capa l no dependen de ella).
        init, gain: otra inicialización, o sus pesos multiplicados por ``gain``.
        **architecture: un cambio de arquitectura (``activation``, ``residual``,
            ``residual_scale``, ``batchnorm``).
    """
    v = _variant(variant)
    arch, _ = _split(v, architecture, (), "`initial_gradients`")
    params = baseline_params(v.init if init is None else init, depth=depth, gain=gain)
    return layer_gradients(params, data.x_train, data.y_train, loss="cross_entropy", **arch)
