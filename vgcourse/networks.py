"""Redes profundas como funciones puras de parámetros explícitos.

Convenciones (suficientes para reproducir los números con otra biblioteca)
==========================================================================
Entrada ``x`` de forma ``(B, n_in)`` (B ejemplos, uno por fila); profundidad de
``L ≥ 1`` capas ocultas de anchura ``n``; salida de forma ``(B, n_out)``. Las capas se
numeran desde la entrada: **la capa 1 es la más cercana a la entrada** y la capa
L la más cercana a la salida. En los arreglos por capa, el índice 0 es la capa 1.

Parámetros (un *pytree* de arreglos que se puede escribir a mano)::

    params = {
        "input":   {"W": (n_in, n),      "b": (n,)},        # capa 1
        "hidden":  {"W": (L-1, n, n),    "b": (L-1, n)},    # capas 2..L, apiladas
        "readout": {"W": (n, n_out),     "b": (n_out,)},    # lectura lineal
    }

Las capas 2..L están apiladas en un solo arreglo para recorrerlas con
``jax.lax.scan`` (una sola compilación, independiente de L).
:func:`params_from_layers` y :func:`layers_from_params` convierten desde y hacia
una lista de capas ``[{"W", "b"}, ...]``.

Ecuación de capa (una fila por ejemplo; el sesgo se suma después del producto)::

    z_1 = x W_1 + b_1,                  h_1 = φ(z_1)
    z_l = h_{l-1} W_l + b_l,            h_l = φ(z_l)                        (red simple, l ≥ 2)
    ŷ  = h_L W_o + b_o                  (lectura lineal, sin activación)

La *preactivación* ``z_l`` es siempre el argumento de φ en la capa l.

- **Residual** (``residual=True``): la capa 1 no tiene conexión de salto (cambia la anchura)
  y abre el *tronco* ``h_1``; cada bloque l ≥ 2 suma a su entrada una *rama* escalada por
  ``α = residual_scale``. Dos formas de rama:

  - ``residual=True`` o ``"linear"``, **el bloque estándar** (ResNet con preactivación, He et
    al. 2016, «Identity mappings»; los *transformers*): la capa 1 es lineal y la rama termina
    en una capa lineal::

        h_1 = z_1 = x W_1 + b_1,      z_l = h_{l-1},      h_l = h_{l-1} + α·(φ(z_l) W_l + b_l)

    La salida de la rama tiene media 0 (los pesos la tienen), y el tronco también.
  - ``residual="activation"``: la rama termina en la activación (una trampa que el curso
    mide)::

        h_1 = φ(z_1),      z_l = h_{l-1} W_l + b_l,      h_l = h_{l-1} + α·φ(z_l)

    Con ReLU, la salida de la rama tiene media positiva, que se acumula en el tronco.

  **El gradiente de la capa l** de una red residual es el del tronco, ``∂L/∂h_l``: es lo
  que devuelven ``LayerGradients.preact_norm`` y compañía cuando hay saltos (en la red
  simple, ``∂L/∂z_l``).
- **Normalización por lotes** (``batchnorm=True``, estadísticas del lote como al
  inicio del entrenamiento, escala γ = 1): ``BN(u) = (u − media_B(u)) / sqrt(var_B(u) + ε)``,
  con media y varianza (sesgada, dividiendo entre B) por unidad sobre el lote y ε = 1e-5.
  En la red simple y en la rama que termina en la activación, ``z_l = BN(h_{l-1} W_l) + b_l``
  (y ``z_1 = BN(x W_1) + b_1``): el sesgo hace de desplazamiento β. En el bloque estándar,
  ``h_1 = BN(x W_1) + b_1``, ``z_l = BN(h_{l-1})`` y la rama es ``φ(BN(h_{l-1})) W_l + b_l``,
  como en las ResNet con preactivación.

Pérdidas (media sobre el lote)::

    "mse":           L = 1/B · Σ_b ½‖ŷ_b − y_b‖²
    "cross_entropy": L = −1/B · Σ_b Σ_k y_bk · log softmax(ŷ_b)_k   (y: probabilidades)
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Unpack

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._core import (
    NetworkOptions,
    Params,
    batch_core,
    forward_core,
    init_core,
    prepare_call,
)
from vgcourse._precision import resolve_dtype
from vgcourse._validation import check_choice, check_float, check_int, check_key, validate_params
from vgcourse.initializers import INITIALIZERS

__all__ = [
    "NetworkOptions",
    "Params",
    "depth_of",
    "forward",
    "hidden_states",
    "init_mlp",
    "layers_from_params",
    "params_from_layers",
    "random_batch",
]


# ---------------------------------------------------------------------------
# Inicialización
# ---------------------------------------------------------------------------
def init_mlp(
    key: jax.Array,
    *,
    depth: int,
    width: int,
    n_in: int,
    n_out: int = 1,
    init: str = "xavier_normal",
    gain: float = 1.0,
    bias_std: float = 0.0,
    dtype: str | None = None,
) -> Params:
    """Parámetros de un perceptrón multicapa profundo (ver las convenciones del módulo).

    Todas las capas (también la lectura) usan la inicialización ``init`` con su
    propio ``fan_in``/``fan_out``, multiplicada por ``gain``. Los sesgos son
    ``N(0, bias_std²)`` (cero por defecto: σ_b² = bias_std²). La capa l ≥ 2 usa la
    subclave ``fold_in(k_hidden, l-2)``, así que los pesos de las d primeras capas no
    dependen de la profundidad total.

    Args:
        key: ``jax.random.key(semilla)``.
        depth: número de capas ocultas L ≥ 1.
        width: anchura n ≥ 1 de cada capa oculta.
        n_in: tamaño de la entrada ≥ 1.
        n_out: tamaño de la salida ≥ 1.
        init: nombre de la inicialización (:mod:`vgcourse.initializers`).
        gain: factor de los pesos (> 0).
        bias_std: desviación típica de los sesgos (≥ 0).
        dtype: ``"float64"`` (por defecto donde el backend lo admite) o ``"float32"``.

    Returns:
        El *pytree* ``params`` descrito en el módulo.
    """
    key = check_key("key", key)
    depth = check_int("depth", depth)
    width = check_int("width", width)
    n_in = check_int("n_in", n_in)
    n_out = check_int("n_out", n_out)
    init = check_choice("init", init, INITIALIZERS)
    gain = check_float("gain", gain, strictly_positive=True, maximum=1e3)
    bias_std = check_float("bias_std", bias_std, minimum=0.0, maximum=1e3)
    dt = resolve_dtype(dtype)
    return init_core(
        key, jnp.asarray(gain, dt), jnp.asarray(bias_std, dt),
        depth=depth, width=width, n_in=n_in, n_out=n_out, init=init, dtype=dt,
        with_bias=bias_std > 0,
    )


def random_batch(
    key: jax.Array, *, batch: int, n_in: int, n_out: int = 1, dtype: str | None = None
) -> tuple[jax.Array, jax.Array]:
    """Un lote sintético ``(x, y)`` con entradas y objetivos ``N(0, 1)`` independientes.

    Se extrae una matriz normal ``(batch, n_in + n_out)`` con ``key``; sus primeras
    ``n_in`` columnas son ``x`` y las demás, ``y``.

    Returns:
        ``x`` de forma ``(batch, n_in)`` e ``y`` de forma ``(batch, n_out)``.
    """
    key = check_key("key", key)
    batch = check_int("batch", batch)
    n_in = check_int("n_in", n_in)
    n_out = check_int("n_out", n_out)
    return batch_core(key, batch=batch, n_in=n_in, n_out=n_out, dtype=resolve_dtype(dtype))


def params_from_layers(layers: Sequence[dict[str, Any]], readout: dict[str, Any]) -> Params:
    """Construye ``params`` a partir de una lista de capas ``[{"W": (fan_in, n), "b": (n,)}, ...]``.

    Útil para escribir una red pequeña a mano. La primera capa puede tener un
    ``fan_in`` distinto; los pesos de las demás deben tener forma ``(n, n)``.
    """
    if not isinstance(layers, Sequence) or len(layers) == 0:
        raise ValueError("`layers` debe ser una lista no vacía de capas {'W': ..., 'b': ...}.")
    for i, layer in enumerate(layers):
        if not isinstance(layer, dict) or set(layer) != {"W", "b"}:
            raise ValueError(f"`layers[{i}]` debe ser un diccionario con las claves 'W' y 'b'.")
    n = np.shape(layers[0]["W"])[1]
    w_h = [jnp.asarray(layer["W"]) for layer in layers[1:]]
    b_h = [jnp.asarray(layer["b"]) for layer in layers[1:]]
    dt = jnp.asarray(layers[0]["W"]).dtype
    params = {
        "input": {"W": jnp.asarray(layers[0]["W"]), "b": jnp.asarray(layers[0]["b"])},
        "hidden": {
            "W": jnp.stack(w_h) if w_h else jnp.zeros((0, n, n), dt),
            "b": jnp.stack(b_h) if b_h else jnp.zeros((0, n), dt),
        },
        "readout": {"W": jnp.asarray(readout["W"]), "b": jnp.asarray(readout["b"])},
    }
    validate_params(params)
    return params


def layers_from_params(params: Params) -> list[dict[str, jax.Array]]:
    """La lista de capas ocultas ``[{"W", "b"}, ...]`` (capa 1 primero) de ``params``."""
    validate_params(params)
    layers = [dict(params["input"])]
    for W, b in zip(params["hidden"]["W"], params["hidden"]["b"]):
        layers.append({"W": W, "b": b})
    return layers


def depth_of(params: Params) -> int:
    """Profundidad L (número de capas ocultas) de ``params``."""
    return 1 + int(np.shape(params["hidden"]["W"])[0])


# ---------------------------------------------------------------------------
# Paso hacia delante
# ---------------------------------------------------------------------------
@functools.partial(jax.jit, static_argnames=("activation", "residual", "batchnorm", "collect"))
def _forward_jit(params, x, alpha, *, activation, residual, batchnorm, collect):
    return forward_core(
        params, x, None, None, alpha,
        activation=activation, residual=residual, batchnorm=batchnorm, collect=collect,
    )


def forward(
    params: Params, x: jax.typing.ArrayLike, *, activation: str, **options: Unpack[NetworkOptions]
) -> jax.Array:
    """Salida ``ŷ`` de forma ``(B, n_out)`` de la red (ecuaciones en el módulo).

    ``options``: arquitectura y precisión (:class:`vgcourse.NetworkOptions`: ``residual``,
    ``residual_scale``, ``batchnorm``, ``dtype``).
    """
    params, x, _, alpha, static = prepare_call(params, x, None, activation, options)
    return _forward_jit(params, x, alpha, collect=False, **static)[0]


def hidden_states(
    params: Params, x: jax.typing.ArrayLike, *, activation: str, **options: Unpack[NetworkOptions]
) -> tuple[jax.Array, jax.Array]:
    """Las preactivaciones ``z_l`` y las salidas ``h_l`` de cada capa, ambas ``(L, B, n)``.

    ``z_l`` es el argumento de φ en la capa l y ``h_l`` su salida (en las redes residuales,
    el tronco después del bloque l; ver las convenciones del módulo). ``options`` como en
    :func:`forward`.
    """
    params, x, _, alpha, static = prepare_call(params, x, None, activation, options)
    return _forward_jit(params, x, alpha, collect=True, **static)[1]

