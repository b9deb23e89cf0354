"""Entrenamiento por descenso de gradiente, registrando cuánto cambia cada capa.

La regla de actualización es la más simple, ``W ← W − η ∂L/∂W`` con el lote completo
(descenso de gradiente determinista, sin claves aleatorias): así, lo que se mueve cada
capa es exactamente η veces su gradiente acumulado, y una capa con gradientes
diminutos apenas cambia.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._validation import check_float, check_int
from vgcourse.gradients import layer_weight_norms
from vgcourse.networks import Params, check_loss, forward_core, loss_fn, prepare_call, validate_inputs

__all__ = ["GridResult", "TrainingHistory", "train", "train_lr_grid"]


class TrainingHistory(NamedTuple):
    """Registro del entrenamiento, como arreglos de NumPy (capa 1 = índice 0).

    ``T`` = número de registros (el paso 0 y luego cada ``record_every`` pasos).
    """

    step: np.ndarray            #: (T,) número de paso
    loss: np.ndarray            #: (T,) pérdida de entrenamiento
    test_accuracy: np.ndarray   #: (T,) fracción de aciertos en el conjunto de prueba
    weight_change: np.ndarray   #: (T, L) ‖W_l(t) − W_l(0)‖_F / ‖W_l(0)‖_F
    weight_grad_norm: np.ndarray  #: (T, L) ‖∂L/∂W_l‖_F en ese paso
    params: dict | None = None  #: parámetros al final del entrenamiento


_STATIC = ("activation", "residual", "batchnorm", "loss", "n_records", "record_every")


def _loss(p, x, y, alpha, loss, arch):
    """Pérdida de la red con parámetros ``p`` sobre ``(x, y)`` (trazable)."""
    out, _ = forward_core(p, x, None, None, alpha, collect=False, **arch)
    return loss_fn(out, y, loss)


def _accuracy(p, x_test, y_test, alpha, arch):
    """Fracción de aciertos en ``(x_test, y_test)`` (trazable)."""
    # con normalización por lotes, el conjunto de prueba se normaliza con sus propias
    # estadísticas (un solo lote): no hay medias móviles en este curso
    out, _ = forward_core(p, x_test, None, None, alpha, collect=False, **arch)
    return jnp.mean((jnp.argmax(out, -1) == jnp.argmax(y_test, -1)).astype(x_test.dtype))


def _relative_change(p, p0, p0_norm):
    """``‖W_l − W_l(0)‖ / ‖W_l(0)‖`` por capa, con ``p0_norm = layer_weight_norms(p0)[0]``."""
    return layer_weight_norms(jax.tree.map(jnp.subtract, p, p0))[0] / p0_norm


def _train_impl(params, x, y, x_test, y_test, lr, alpha, *, activation, residual, batchnorm, loss,
                n_records, record_every):
    arch = dict(activation=activation, residual=residual, batchnorm=batchnorm)

    def objective(p):
        return _loss(p, x, y, alpha, loss, arch)

    w0_norm = layer_weight_norms(params)[0]

    def record(p):
        value, g = jax.value_and_grad(objective)(p)
        change = _relative_change(p, params, w0_norm)
        return g, (value, _accuracy(p, x_test, y_test, alpha, arch), change,
                   layer_weight_norms(g)[0])

    def sgd(p, g):
        return jax.tree.map(lambda a, b: a - lr * b, p, g)

    def chunk(p, _):
        g, rec = record(p)
        p = sgd(p, g)
        p = jax.lax.fori_loop(0, record_every - 1, lambda i, q: sgd(q, jax.grad(objective)(q)), p)
        return p, rec

    p_final, recs = jax.lax.scan(chunk, params, None, length=n_records)
    _, last = record(p_final)
    return jax.tree.map(lambda a, b: jnp.concatenate([a, b[None]]), recs, last), p_final


_train_core = jax.jit(_train_impl, static_argnames=_STATIC)


@functools.partial(jax.jit, static_argnames=_STATIC)
def _train_grid_core(params, x, y, x_test, y_test, rates, alpha, **static):
    """:func:`_train_impl` para K tasas a la vez (primer eje de la salida = tasa)."""
    return jax.vmap(
        lambda lr: _train_impl(params, x, y, x_test, y_test, lr, alpha, **static)
    )(rates)


def _history(recs, p_final, record_every: int) -> TrainingHistory:
    """Un :class:`TrainingHistory` a partir de la salida de :func:`_train_impl`."""
    value, acc, change, gnorm = (np.asarray(r) for r in recs)
    return TrainingHistory(
        step=np.arange(value.shape[0]) * record_every,
        loss=value, test_accuracy=acc, weight_change=change, weight_grad_norm=gnorm,
        params=p_final,
    )


def _prepare(params, x, y, x_test, y_test, activation, steps, record_every, loss,
             residual, residual_scale, batchnorm, dtype):
    """Valida y convierte los argumentos comunes de :func:`train` y :func:`train_lr_grid`.

    Returns:
        ``(params, x, y, x_test, y_test, alpha, kwargs estáticos de los núcleos)``.
    """
    params, x, y, alpha, static = prepare_call(
        params, x, y, activation, residual, residual_scale, batchnorm, dtype
    )
    x_test, y_test = (jnp.asarray(a, x.dtype) for a in (x_test, y_test))
    validate_inputs(params, x_test, y_test)
    steps = check_int("steps", steps)
    record_every = check_int("record_every", record_every)
    if steps % record_every:
        raise ValueError(
            f"`steps` ({steps}) debe ser un múltiplo de `record_every` ({record_every})."
        )
    kwargs = dict(loss=check_loss(loss), n_records=steps // record_every,
                  record_every=record_every, **static)
    return params, x, y, x_test, y_test, alpha, kwargs


def train(
    params: Params,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    activation: str,
    steps: int,
    learning_rate: float,
    x_test: jax.typing.ArrayLike,
    y_test: jax.typing.ArrayLike,
    record_every: int = 10,
    loss: str = "cross_entropy",
    residual: bool = False,
    residual_scale: float = 1.0,
    batchnorm: bool = False,
    dtype: str | None = None,
) -> TrainingHistory:
    """Entrena la red con descenso de gradiente de lote completo y registra cada capa.

    Args:
        params: parámetros iniciales (de :func:`vgcourse.init_mlp`).
        x, y: datos de entrenamiento ``(B, n_in)`` y objetivos ``(B, n_out)``.
        activation: nombre de la activación.
        steps: número de pasos; múltiplo de ``record_every``.
        learning_rate: tasa de aprendizaje η > 0.
        x_test, y_test: datos de prueba para la exactitud.
        record_every: pasos entre registros.
        loss: ``"cross_entropy"`` (por defecto; objetivos en *one-hot*) o ``"mse"``.
        residual, residual_scale, batchnorm: arquitectura, como en :func:`vgcourse.layer_gradients`.
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        Un :class:`TrainingHistory` con ``steps/record_every + 1`` registros y los parámetros finales.
    """
    lr = check_float("learning_rate", learning_rate, strictly_positive=True)
    params, x, y, x_test, y_test, alpha, kwargs = _prepare(
        params, x, y, x_test, y_test, activation, steps, record_every, loss,
        residual, residual_scale, batchnorm, dtype,
    )
    recs, p_final = _train_core(
        params, x, y, x_test, y_test, jnp.asarray(lr, x.dtype), alpha, **kwargs
    )
    return _history(recs, p_final, kwargs["record_every"])


class GridResult(NamedTuple):
    """Resultado de :func:`train_lr_grid`."""

    learning_rates: np.ndarray  #: (K,) tasas probadas
    final_loss: np.ndarray      #: (K,) pérdida de entrenamiento final con cada tasa (NaN si diverge)
    best_learning_rate: float   #: la tasa con menor pérdida final
    history: TrainingHistory    #: el registro completo con la mejor tasa


def train_lr_grid(
    params: Params,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    learning_rates,
    activation: str,
    steps: int,
    x_test: jax.typing.ArrayLike,
    y_test: jax.typing.ArrayLike,
    record_every: int = 10,
    loss: str = "cross_entropy",
    residual: bool = False,
    residual_scale: float = 1.0,
    batchnorm: bool = False,
    dtype: str | None = None,
) -> GridResult:
    """Entrena con varias tasas de aprendizaje a la vez (``jax.vmap``) y se queda con la mejor.

    Cada arquitectura tiene su tasa buena: compararlas con una sola tasa mediría la tasa,
    no la arquitectura. Las K tasas comparten una compilación y una llamada.

    Args:
        learning_rates: secuencia de tasas > 0.
        Los demás, como en :func:`train`.
    """
    rates = [check_float(f"learning_rates[{i}]", v, strictly_positive=True)
             for i, v in enumerate(learning_rates)]
    if not rates:
        raise ValueError("`learning_rates` debe contener al menos una tasa de aprendizaje.")
    params, x, y, x_test, y_test, alpha, kwargs = _prepare(
        params, x, y, x_test, y_test, activation, steps, record_every, loss,
        residual, residual_scale, batchnorm, dtype,
    )
    recs, p_final = _train_grid_core(
        params, x, y, x_test, y_test, jnp.asarray(rates, x.dtype), alpha, **kwargs
    )
    final_loss = np.asarray(recs[0])[:, -1]
    final = np.where(np.isfinite(final_loss), final_loss, np.nan)
    best = int(np.nanargmin(final)) if np.isfinite(final).any() else 0
    history = _history(*jax.tree.map(lambda a: a[best], (recs, p_final)), kwargs["record_every"])
    return GridResult(np.asarray(rates), final, rates[best], history)
