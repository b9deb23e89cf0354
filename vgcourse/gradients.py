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
:data:`vgcourse.precision.UNDERFLOW_MARGIN` veces el mínimo normal del tipo de dato
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
from typing import NamedTuple

import jax
import jax.numpy as jnp

from vgcourse._validation import check_array, check_int
from vgcourse.activations import derivative, saturation_bounds
from vgcourse.networks import Params, check_loss, forward_core, loss_fn, prepare_call
from vgcourse.precision import underflow_threshold

__all__ = [
    "LayerGradients",
    "LayerStatistics",
    "gradient_histograms",
    "jacobian_spectrum",
    "layer_gradients",
    "layer_statistics",
]


class LayerGradients(NamedTuple):
    """Gradientes por capa (índice 0 = capa 1, junto a la entrada). Formas con L capas y lote B."""

    loss: jax.Array                     #: () valor de la pérdida
    weight_norm: jax.Array              #: (L,) ‖∂L/∂W_l‖_F; NaN si hay underflow
    bias_norm: jax.Array                #: (L,) ‖∂L/∂b_l‖; NaN si hay underflow
    preact_norm: jax.Array              #: (L,) ‖∂L/∂Z_l‖_F; NaN si hay underflow
    preact_norm_per_example: jax.Array  #: (L, B) ‖∂L/∂z_{l,b}‖; NaN si hay underflow
    weight_underflow: jax.Array         #: (L,) bool: gradiente de la capa bajo el mínimo representable
    preact_underflow: jax.Array         #: (L,) bool
    readout_weight_norm: jax.Array      #: () ‖∂L/∂W_o‖_F de la capa de lectura
    weight_grads: Params | None = None  #: gradientes completos (misma estructura que params)
    preact_grads: jax.Array | None = None  #: (L, B, n) ∂L/∂Z_l completos


class LayerStatistics(NamedTuple):
    """Estadísticas del paso hacia delante por capa (índice 0 = capa 1). Formas ``(L,)``."""

    preact_mean: jax.Array       #: media de z_l sobre el lote y las unidades
    preact_var: jax.Array        #: varianza de z_l sobre el lote y las unidades
    preact_second_moment: jax.Array  #: media de z_l² (la q_l de la teoría de campo medio)
    activation_var: jax.Array    #: varianza de h_l = φ(z_l) (o de la salida del bloque residual)
    saturated_fraction: jax.Array  #: fracción de preactivaciones en la región saturada
    mean_abs_derivative: jax.Array  #: media de |φ'(z_l)| sobre el lote y las unidades
    dead_fraction: jax.Array  #: fracción de unidades con φ'(z) = 0 en todos los ejemplos del lote


def _scaled_norm(g: jax.Array, axes: tuple[int, ...]) -> tuple[jax.Array, jax.Array]:
    """Norma euclídea sobre ``axes`` sin underflow en los cuadrados; devuelve (norma, max|g|)."""
    m = jnp.max(jnp.abs(g), axis=axes, keepdims=True)
    safe = jnp.where(m > 0, m, 1)
    norm = jnp.squeeze(m, axis=axes) * jnp.sqrt(jnp.sum(jnp.square(g / safe), axis=axes))
    return norm, jnp.squeeze(m, axis=axes)


def layer_weight_norms(tree: Params) -> tuple[jax.Array, jax.Array]:
    """``(‖W_l‖_F, max|W_l|)`` por capa, forma ``(L,)``, de un árbol con la forma de ``params``.

    Sirve para los pesos, sus gradientes o sus diferencias (solo mira ``input.W`` y ``hidden.W``).
    """
    n_in, m_in = _scaled_norm(tree["input"]["W"], (0, 1))
    n_h, m_h = _scaled_norm(tree["hidden"]["W"], (1, 2))
    return jnp.concatenate([n_in[None], n_h]), jnp.concatenate([m_in[None], m_h])


def _preact_underflow(magnitude: jax.Array, thr: float, chained: bool) -> jax.Array:
    """Máscara de underflow de ∂L/∂z por capa, clasificando de la salida hacia la entrada.

    Args:
        magnitude: ``max|∂L/∂z_l|`` por capa, forma ``(L,)`` (índice 0 = capa 1).
        thr: umbral de underflow.
        chained: ``True`` si el gradiente de cada capa se calcula solo a partir del de la
            capa de encima (red sin conexiones residuales): el underflow se extiende hacia abajo.
    """

    def step(above_bad, m):
        zero = m == 0
        # un cero es estructural si lo de encima está bien; bajo el umbral, underflow
        bad = ((m < thr) & ~zero) | (zero & above_bad) | (above_bad & chained)
        return bad, bad

    return jax.lax.scan(step, jnp.asarray(False), magnitude, reverse=True)[1]


def grad_core(
    params: Params,
    x: jax.Array,
    y: jax.Array,
    depth: jax.Array | None,
    alpha: jax.Array,
    *,
    activation: str,
    residual: bool,
    batchnorm: bool,
    loss: str,
    return_arrays: bool,
    with_preacts: bool = False,
):
    """Núcleo trazable de :func:`layer_gradients` (sin validación); lo usan los barridos.

    Con ``with_preacts=True`` devuelve ``(LayerGradients, z)``, con las preactivaciones
    ``z`` ``(L, B, n)`` del mismo paso hacia delante que da los gradientes (sin repetirlo).
    """
    n_layers = 1 + params["hidden"]["W"].shape[0]
    batch, width = x.shape[0], params["input"]["W"].shape[1]
    perturb = jnp.zeros((n_layers, batch, width), x.dtype)

    def objective(p, e):
        out, zh = forward_core(
            p, x, e, depth, alpha,
            activation=activation, residual=residual, batchnorm=batchnorm, collect=with_preacts,
        )
        # e es cero: las z recogidas son las preactivaciones de la red sin perturbar
        return loss_fn(out, y, loss), (zh[0] if with_preacts else None)

    (value, z), (g_params, g_z) = jax.value_and_grad(objective, argnums=(0, 1), has_aux=True)(
        params, perturb
    )

    weight_norm, weight_max = layer_weight_norms(g_params)
    bias_all = jnp.concatenate([g_params["input"]["b"][None], g_params["hidden"]["b"]])
    bias_norm, _ = _scaled_norm(bias_all, (1,))
    # una sola pasada sobre ∂L/∂Z (L, B, n): la norma de Frobenius de cada capa es la
    # norma de sus normas por ejemplo, y su máximo, el máximo de los máximos por ejemplo
    per_example, per_example_max = _scaled_norm(g_z, (2,))
    preact_norm, _ = _scaled_norm(per_example, (1,))
    preact_max = jnp.max(per_example_max, axis=1)

    thr = underflow_threshold(x.dtype)
    # En un barrido de profundidad las capas l > depth no existen: ni se miden ni se marcan como underflow.
    active = jnp.ones(n_layers, bool) if depth is None else jnp.arange(n_layers) < depth
    chained = not residual  # sin salto, cada ∂L/∂z se calcula a partir del de encima
    z_flag = _preact_underflow(preact_max, thr, chained) & active
    # ∂L/∂W_l = h_{l-1}ᵀ ∂L/∂z_l: hereda el underflow de ∂L/∂z_l, o lo tiene por sí mismo
    w_flag = (z_flag | ((weight_max < thr) & (weight_max > 0))) & active
    nan = jnp.asarray(jnp.nan, x.dtype)
    readout_norm, _ = _scaled_norm(g_params["readout"]["W"], (0, 1))
    result = LayerGradients(
        loss=value,
        weight_norm=jnp.where(w_flag, nan, weight_norm),
        bias_norm=jnp.where(w_flag, nan, bias_norm),
        preact_norm=jnp.where(z_flag, nan, preact_norm),
        preact_norm_per_example=jnp.where(z_flag[:, None], nan, per_example),
        weight_underflow=w_flag,
        preact_underflow=z_flag,
        readout_weight_norm=readout_norm,
    )
    if return_arrays:
        result = result._replace(weight_grads=g_params, preact_grads=g_z)
    return (result, z) if with_preacts else result


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
    residual: bool = False,
    residual_scale: float = 1.0,
    batchnorm: bool = False,
    loss: str = "mse",
    dtype: str | None = None,
    return_arrays: bool = False,
) -> LayerGradients:
    """Gradientes exactos de la pérdida respecto de los pesos y las preactivaciones de cada capa.

    Args:
        params: parámetros de :func:`vgcourse.init_mlp` (o escritos a mano).
        x: entradas ``(B, n_in)``.
        y: objetivos ``(B, n_out)``.
        activation: nombre de la activación (:mod:`vgcourse.activations`).
        residual: con conexiones residuales (``h_l = h_{l-1} + α φ(z_l)``, l ≥ 2).
        residual_scale: α, escala de la rama residual.
        batchnorm: con normalización por lotes antes de cada activación.
        loss: ``"mse"`` o ``"cross_entropy"``.
        dtype: ``"float64"`` (por defecto) o ``"float32"``.
        return_arrays: si ``True``, añade los gradientes completos.

    Returns:
        Un :class:`LayerGradients` con arreglos de JAX (índice 0 = capa 1).
    """
    params, x, y, alpha, static = prepare_call(
        params, x, y, activation, residual, residual_scale, batchnorm, dtype
    )
    loss = check_loss(loss)
    if not isinstance(return_arrays, bool):
        raise TypeError(f"`return_arrays` debe ser True o False; se recibió {return_arrays!r}.")
    return _layer_gradients_jit(params, x, y, alpha, loss=loss, return_arrays=return_arrays, **static)


def statistics_core(params, x, alpha, *, activation, residual, batchnorm, bounds):
    """Núcleo trazable de :func:`layer_statistics`."""
    _, (z, h) = forward_core(
        params, x, None, None, alpha,
        activation=activation, residual=residual, batchnorm=batchnorm, collect=True,
    )
    lower, upper = bounds
    saturated = (z < lower) | (z > upper)
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


@functools.partial(jax.jit, static_argnames=("activation", "residual", "batchnorm", "bounds"))
def _statistics_jit(params, x, alpha, **static):
    return statistics_core(params, x, alpha, **static)


def layer_statistics(
    params: Params,
    x: jax.typing.ArrayLike,
    *,
    activation: str,
    residual: bool = False,
    residual_scale: float = 1.0,
    batchnorm: bool = False,
    saturation_fraction: float = 0.1,
    dtype: str | None = None,
) -> LayerStatistics:
    """Estadísticas por capa del paso hacia delante: varianzas y fracción saturada.

    La fracción saturada de la capa l es la proporción de las ``B·n`` preactivaciones
    ``z_l`` que caen en la región saturada de la activación
    (:func:`vgcourse.activations.saturation_bounds` con ``saturation_fraction``).
    """
    params, x, _, alpha, static = prepare_call(
        params, x, None, activation, residual, residual_scale, batchnorm, dtype
    )
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
    params: Params,
    x: jax.typing.ArrayLike,
    *,
    activation: str,
    residual: bool = False,
    residual_scale: float = 1.0,
    dtype: str | None = None,
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
        activation, residual, residual_scale: arquitectura, como en :func:`layer_gradients`.
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        Arreglo ``(B, min(n, n_in))`` con los valores singulares de cada ejemplo, de mayor a menor.
    """
    params, x, _, alpha, static = prepare_call(
        params, x, None, activation, residual, residual_scale, False, dtype
    )
    static.pop("batchnorm")
    return _spectrum_jit(params, x, alpha, **static)
