"""Gradientes exactos capa por capa y estadísticas por capa.

Todo sale de un único ``jax.grad`` bajo ``jax.jit``: el gradiente de la pérdida
respecto de los pesos de cada capa y, con una perturbación nula sumada a cada
preactivación (forma ``(L, B, n)``), respecto de las preactivaciones
``z_l`` de todas las capas en la misma pasada hacia atrás.

Cantidades que devuelve :func:`layer_gradients` (capa 1 = junto a la entrada):

- ``weight_norm[l]`` = ‖∂L/∂W_l‖_F (norma de Frobenius),
- ``bias_norm[l]`` = ‖∂L/∂b_l‖,
- ``preact_norm[l]`` = ‖∂L/∂Z_l‖_F, con ``Z_l`` la matriz ``(B, n)`` de preactivaciones,
- ``preact_norm_per_example[l, b]`` = ‖∂L/∂z_{l,b}‖ (fila b de ``Z_l``).

Como la pérdida es una media sobre el lote, ∂L/∂z_{l,b} lleva un factor 1/B.

*Underflow*: las normas se calculan escaladas (``m·‖g/m‖`` con ``m = max|g|``) para
que el cuadrado no se desborde por abajo. Con ``umbral`` =
``2**20`` veces el mínimo normal del tipo de dato
(≈ 1.2e-32 en float32), cada capa se clasifica de la salida hacia la entrada:

- *medida*: ``max|g| ≥ umbral``;
- *cero estructural*: ``max|g| = 0`` y la capa de encima (o la salida) es medida o
  también cero estructural. Un cero así lo produce una operación exacta (φ' = 0 en
  ReLU, α = 0 en una rama residual), no el redondeo: un paso de una capa no lleva un
  gradiente de ≥ umbral a 0 por decaimiento. Se informa como 0, que es el valor que usa
  la retropropagación (también cuando todas las unidades de la capa están tan saturadas
  que φ' se redondea a 0, p. ej. tanh con |z| > 19 en float64);
- *underflow*: el resto (``0 < max|g| < umbral``, o un cero bajo una capa en underflow).
  En redes sin conexiones residuales el gradiente de cada capa se calcula a partir del
  de la capa de encima, así que el underflow se extiende a todas las capas más cercanas
  a la entrada; con conexiones residuales el salto lleva el gradiente aparte y cada capa
  se juzga por sí misma.

Las capas en underflow se marcan en ``*_underflow`` y su norma es ``NaN``: no es una
medida, sino el límite de la aritmética.
"""

from __future__ import annotations

import functools
from typing import NamedTuple, Unpack

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._core import (
    LayerGradients,
    NetworkOptions,
    Params,
    check_loss,
    forward_core,
    grad_core,
    prepare_call,
)
from vgcourse._validation import check_array, check_int
from vgcourse.activations import derivative, saturated_mask, saturation_bounds

__all__ = [
    "LayerGradients",
    "LayerStatistics",
    "gradient_histograms",
    "jacobian_spectrum",
    "layer_gradients",
    "layer_slope",
    "layer_statistics",
    "weight_gradient_coherence",
]


class LayerStatistics(NamedTuple):
    """Estadísticas del paso hacia delante por capa (índice 0 = capa 1). Formas ``(L,)``."""

    preact_mean: jax.Array       #: media de z_l sobre el lote y las unidades
    preact_var: jax.Array        #: varianza de z_l sobre el lote y las unidades
    preact_second_moment: jax.Array  #: media de z_l² (la q_l de la teoría de campo medio)
    activation_var: jax.Array    #: varianza de h_l = φ(z_l) (o de la salida del bloque residual)
    saturated_fraction: jax.Array  #: fracción de preactivaciones en la región saturada
    mean_abs_derivative: jax.Array  #: media de |φ'(z_l)| sobre el lote y las unidades
    dead_fraction: jax.Array  #: fracción de unidades con φ'(z) = 0 en todos los ejemplos del lote


_STATIC = ("activation", "residual", "batchnorm", "loss", "return_arrays")


@functools.partial(jax.jit, static_argnames=_STATIC)
def _layer_gradients_jit(params, x, y, alpha, **static):
    return grad_core(params, x, y, None, alpha, **static)


def layer_gradients(
    params: Params,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    activation: str,
    loss: str = "mse",
    return_arrays: bool = False,
    **options: Unpack[NetworkOptions],
) -> LayerGradients:
    """Gradientes exactos de la pérdida respecto de los pesos y las preactivaciones de cada capa.

    Args:
        params: parámetros de :func:`vgcourse.init_mlp` (o escritos a mano).
        x: entradas ``(B, n_in)``.
        y: objetivos ``(B, n_out)``.
        activation: nombre de la activación (:mod:`vgcourse.activations`).
        loss: ``"mse"`` o ``"cross_entropy"``.
        return_arrays: si ``True``, añade los gradientes completos.
        **options: arquitectura y precisión (:class:`vgcourse.NetworkOptions`):
            ``residual`` (conexiones residuales), ``residual_scale`` (α), ``batchnorm``
            (normalización por lotes) y ``dtype`` (``"float64"`` por defecto, o ``"float32"``).

    Returns:
        Un :class:`LayerGradients` con arreglos de JAX (índice 0 = capa 1).
    """
    params, x, y, alpha, static = prepare_call(params, x, y, activation, options)
    loss = check_loss(loss)
    if not isinstance(return_arrays, bool):
        raise TypeError(f"`return_arrays` debe ser True o False; se recibió {return_arrays!r}.")
    return _layer_gradients_jit(params, x, y, alpha, loss=loss, return_arrays=return_arrays, **static)


@functools.partial(jax.jit, static_argnames=("activation", "residual", "batchnorm", "bounds"))
def _statistics_jit(params, x, alpha, *, activation, residual, batchnorm, bounds):
    _, (z, h) = forward_core(
        params, x, None, None, alpha,
        activation=activation, residual=residual, batchnorm=batchnorm, collect=True,
    )
    saturated = saturated_mask(z, bounds)
    dphi = derivative(activation)(z)
    return LayerStatistics(
        preact_mean=jnp.mean(z, axis=(1, 2)),
        preact_var=jnp.var(z, axis=(1, 2)),
        preact_second_moment=jnp.mean(jnp.square(z), axis=(1, 2)),
        activation_var=jnp.var(h, axis=(1, 2)),
        saturated_fraction=jnp.mean(saturated.astype(x.dtype), axis=(1, 2)),
        mean_abs_derivative=jnp.mean(jnp.abs(dphi), axis=(1, 2)),
        # una unidad «muerta» no deja pasar gradiente para ningún ejemplo (ReLU con z ≤ 0 en todo el lote)
        dead_fraction=jnp.mean(jnp.all(dphi == 0, axis=1).astype(x.dtype), axis=1),
    )


def layer_statistics(
    params: Params,
    x: jax.typing.ArrayLike,
    *,
    activation: str,
    saturation_fraction: float = 0.1,
    **options: Unpack[NetworkOptions],
) -> LayerStatistics:
    """Estadísticas por capa del paso hacia delante: varianzas y fracción saturada.

    La fracción saturada de la capa l es la proporción de las ``B·n`` preactivaciones
    ``z_l`` que caen en la región saturada de la activación
    (:func:`vgcourse.activations.saturation_bounds` con ``saturation_fraction``).
    ``options``: arquitectura y precisión, como en :func:`layer_gradients`.
    """
    params, x, _, alpha, static = prepare_call(params, x, None, activation, options)
    bounds = saturation_bounds(static["activation"], saturation_fraction)
    return _statistics_jit(params, x, alpha, bounds=bounds, **static)


@functools.partial(jax.jit, static_argnames=("bins",))
def _histograms_jit(values, lo, hi, *, bins):
    edges = jnp.linspace(lo, hi, bins + 1)
    mag = jnp.abs(values)
    logv = jnp.log10(jnp.where(mag > 0, mag, 1.0))
    idx = jnp.clip(jnp.searchsorted(edges, logv, side="right") - 1, 0, bins - 1)
    inside = (mag > 0) & (logv >= lo) & (logv <= hi)
    counts = jax.vmap(
        lambda i, w: jnp.zeros(bins, jnp.int32).at[i].add(w.astype(jnp.int32))
    )(idx, inside)
    zeros = jnp.sum(mag == 0, axis=1)
    return edges, counts, zeros


def gradient_histograms(
    grads: jax.typing.ArrayLike,
    *,
    bins: int = 60,
    log10_range: tuple[float, float] | None = None,
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Histogramas por capa de ``log10|g|`` con bordes comunes a todas las capas.

    Args:
        grads: arreglo ``(L, ...)``: los gradientes de cada capa (por ejemplo
            ``LayerGradients.preact_grads``, o ``weight_grads["hidden"]["W"]``).
        bins: número de intervalos.
        log10_range: ``(mín, máx)`` de ``log10|g|``; por defecto, el de los datos no nulos.

    Returns:
        ``(edges, counts, zeros)``: bordes ``(bins+1,)`` en log10, cuentas ``(L, bins)`` y
        número de ceros exactos por capa ``(L,)`` (los ceros no tienen logaritmo: se
        cuentan aparte, nunca se pintan como valores medidos).
    """
    g = check_array("grads", grads)
    if g.ndim < 2:
        raise ValueError(f"`grads` debe tener forma (L, ...) con al menos 2 ejes; se recibió {g.shape}.")
    bins = check_int("bins", bins, minimum=1)
    g = jnp.reshape(jnp.asarray(g), (g.shape[0], -1))
    if log10_range is None:
        mag = jnp.abs(g)
        nz = mag[mag > 0]
        if nz.size == 0:
            lo, hi = -1.0, 0.0
        else:
            lo = float(jnp.floor(jnp.log10(jnp.min(nz))))
            hi = float(jnp.ceil(jnp.log10(jnp.max(nz))))
            hi = hi if hi > lo else lo + 1.0
    else:
        lo, hi = (float(v) for v in log10_range)
        if not hi > lo:
            raise ValueError(f"`log10_range` debe ser (mín, máx) con mín < máx; se recibió {log10_range}.")
    return _histograms_jit(g, jnp.asarray(lo, g.dtype), jnp.asarray(hi, g.dtype), bins=bins)


@functools.partial(jax.jit, static_argnames=("activation", "residual"))
def _spectrum_jit(params, x, alpha, *, activation, residual):
    def last_hidden(xi):
        _, (_, h) = forward_core(
            params, xi[None, :], None, None, alpha,
            activation=activation, residual=residual, batchnorm=False, collect=True,
        )
        return h[-1, 0]

    jac = jax.vmap(jax.jacfwd(last_hidden))(x)  # (B, n, n_in)
    return jnp.linalg.svd(jac, compute_uv=False)


def jacobian_spectrum(
    params: Params, x: jax.typing.ArrayLike, *, activation: str, **options: Unpack[NetworkOptions]
) -> jax.Array:
    """Valores singulares del jacobiano entrada-salida ``∂h_L/∂x`` de cada ejemplo.

    Los gradientes de la retropropagación son ``Jᵀ`` por el gradiente de arriba: si todos
    los valores singulares de ``J`` valen 1 (isometría dinámica), ninguna dirección se
    encoge ni se estira. La varianza (lo que fijan Xavier y He) controla solo su media
    cuadrática; este espectro muestra también su dispersión.

    Sin normalización por lotes: con ella, cada ejemplo depende de los demás del lote y el
    jacobiano de un ejemplo no está definido por sí solo.

    Args:
        params: parámetros de :func:`vgcourse.init_mlp`.
        x: entradas ``(B, n_in)``; el jacobiano se calcula en cada una (``jax.jacfwd``).
        activation: nombre de la activación.
        **options: ``residual``, ``residual_scale`` y ``dtype``, como en :func:`layer_gradients`
            (sin ``batchnorm``: ver arriba).

    Returns:
        Arreglo ``(B, min(n, n_in))`` con los valores singulares de cada ejemplo, de mayor a menor.
    """
    if options.get("batchnorm"):
        raise ValueError(
            "`jacobian_spectrum` no admite `batchnorm=True`: con normalización por lotes cada "
            "ejemplo depende de los demás y el jacobiano de un ejemplo no está definido."
        )
    params, x, _, alpha, static = prepare_call(params, x, None, activation, options)
    static.pop("batchnorm")
    return _spectrum_jit(params, x, alpha, **static)


def layer_slope(norms: jax.typing.ArrayLike, *, first: int = 1, last: int | None = None):
    """Cuánto cambia ``ln‖g_l‖`` por capa **hacia la entrada**, ajustado entre dos capas.

    Es la pendiente de la recta de mínimos cuadrados de ``ln‖g_l‖`` frente a ``l`` en las capas
    ``first..last`` (numeradas desde 1), con el signo cambiado: positiva si el gradiente crece
    hacia la entrada (explota), negativa si se desvanece. La teoría de campo medio la predice:
    ½·ln χ₁ (:func:`vgcourse.gradient_slope`). ``exp(2·pendiente)`` es el factor por capa del
    cuadrado del gradiente.

    Args:
        norms: normas por capa ``(..., L)`` (índice 0 = capa 1); varias filas (semillas) a la vez.
        first, last: capas del ajuste (por defecto, todas).

    Returns:
        Un ``float`` o un arreglo ``(...)``; ``NaN`` si alguna capa del ajuste no tiene medida.
    """
    values = np.asarray(check_array("norms", norms, allow_nan=True), dtype=float)
    depth = values.shape[-1]
    last = depth if last is None else check_int("last", last)
    first = check_int("first", first)
    if not first < last <= depth:
        raise ValueError(
            f"Las capas del ajuste deben cumplir 1 ≤ first < last ≤ {depth}; se recibió "
            f"first = {first}, last = {last}."
        )
    layers = np.arange(first, last + 1, dtype=float)
    logs = np.log(values[..., first - 1:last])
    centered = layers - layers.mean()
    slope = (logs - logs.mean(axis=-1, keepdims=True)) @ centered / np.sum(centered**2)
    return -slope if slope.ndim else -float(slope)


@functools.partial(jax.jit, static_argnames=("activation", "loss"))
def _coherence_jit(params, x, y, alpha, *, activation, loss):
    g = grad_core(params, x, y, None, alpha, activation=activation, residual=False,
                  batchnorm=False, loss=loss, return_arrays=True)
    _, (_, h) = forward_core(params, x, None, None, alpha, activation=activation,
                             residual=False, batchnorm=False, collect=True)
    # la contribución del ejemplo b a ∂L/∂W_l es h_{l-1,b}ᵀ ∂L/∂z_{l,b}: su norma es el
    # producto de las dos normas (h_0 = x)
    input_norms = jnp.concatenate([
        jnp.sqrt(jnp.sum(jnp.square(x), axis=-1))[None],
        jnp.sqrt(jnp.sum(jnp.square(h[:-1]), axis=-1)),
    ])
    per_example = input_norms * g.preact_norm_per_example
    return jnp.square(g.weight_norm) / jnp.sum(jnp.square(per_example), axis=1)


def weight_gradient_coherence(
    params: Params, x: jax.typing.ArrayLike, y: jax.typing.ArrayLike, *, activation: str,
    loss: str = "mse", **options: Unpack[NetworkOptions],
) -> jax.Array:
    """Cuánto suman o se cancelan las contribuciones de los ejemplos al gradiente de los pesos.

    ``∂L/∂W_l = Σ_b G_{l,b}`` con ``G_{l,b} = h_{l-1,b}ᵀ ∂L/∂z_{l,b}`` (la contribución del
    ejemplo b). Devuelve, por capa, ``‖Σ_b G_{l,b}‖² / Σ_b ‖G_{l,b}‖²``: 1 si los términos
    cruzados entre ejemplos no aportan nada en conjunto, más de 1 si las contribuciones apuntan
    en la misma dirección y se suman (hasta B), menos de 1 si se cancelan.

    Solo para la red simple (con saltos o normalización por lotes la contribución de cada
    ejemplo no se separa así). Argumentos como en :func:`layer_gradients`.

    Returns:
        Arreglo ``(L,)`` (índice 0 = capa 1).
    """
    if options.get("residual") or options.get("batchnorm"):
        raise ValueError(
            "`weight_gradient_coherence` es solo para la red simple: con saltos o con "
            "normalización por lotes la contribución de cada ejemplo no se separa así."
        )
    params, x, y, alpha, static = prepare_call(params, x, y, activation, options)
    return _coherence_jit(params, x, y, alpha, activation=static["activation"],
                          loss=check_loss(loss))

