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
from vgcourse.gradients import _scaled_norm
from vgcourse.networks import Params, check_loss, forward_core, loss_fn, prepare_call, validate_inputs

__all__ = ["TrainingHistory", "train"]


class TrainingHistory(NamedTuple):
    """Registro del entrenamiento, como arreglos de NumPy (capa 1 = índice 0).

    ``T`` = número de registros (el paso 0 y luego cada ``record_every`` pasos).
    """

    step: np.ndarray            #: (T,) número de paso
    loss: np.ndarray            #: (T,) pérdida de entrenamiento
    test_accuracy: np.ndarray   #: (T,) fracción de aciertos en el conjunto de prueba
    weight_change: np.ndarray   #: (T, L) ‖W_l(t) − W_l(0)‖_F / ‖W_l(0)‖_F
    weight_grad_norm: np.ndarray  #: (T, L) ‖∂L/∂W_l‖_F en ese paso


def _layer_weights(p: Params) -> jax.Array:
    return p["input"]["W"], p["hidden"]["W"]


def _per_layer_norm(w_in, w_hidden):
    n_in, _ = _scaled_norm(w_in, (0, 1))
    n_h, _ = _scaled_norm(w_hidden, (1, 2))
    return jnp.concatenate([n_in[None], n_h])


@functools.partial(jax.jit, static_argnames=("activation", "loss", "n_records", "record_every"))
def _train_core(params, x, y, x_test, y_test, lr, *, activation, loss, n_records, record_every):
    alpha = jnp.asarray(1.0, x.dtype)

    def objective(p):
        out, _ = forward_core(p, x, None, None, alpha, activation=activation,
                              residual=False, batchnorm=False, collect=False)
        return loss_fn(out, y, loss)

    def accuracy(p):
        out, _ = forward_core(p, x_test, None, None, alpha, activation=activation,
                              residual=False, batchnorm=False, collect=False)
        return jnp.mean((jnp.argmax(out, -1) == jnp.argmax(y_test, -1)).astype(x.dtype))

    w0 = _layer_weights(params)
    w0_norm = _per_layer_norm(*w0)

    def record(p):
        value, g = jax.value_and_grad(objective)(p)
        w = _layer_weights(p)
        change = _per_layer_norm(w[0] - w0[0], w[1] - w0[1]) / w0_norm
        return g, (value, accuracy(p), change, _per_layer_norm(*_layer_weights(g)))

    def sgd(p, g):
        return jax.tree.map(lambda a, b: a - lr * b, p, g)

    def chunk(p, _):
        g, rec = record(p)
        p = sgd(p, g)
        p = jax.lax.fori_loop(0, record_every - 1, lambda i, q: sgd(q, jax.grad(objective)(q)), p)
        return p, rec

    p_final, recs = jax.lax.scan(chunk, params, None, length=n_records)
    _, last = record(p_final)
    return jax.tree.map(lambda a, b: jnp.concatenate([a, b[None]]), recs, last)


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
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        Un :class:`TrainingHistory` con ``steps/record_every + 1`` registros.
    """
    params, x, y, _, static = prepare_call(params, x, y, activation, False, 1.0, False, dtype)
    x_test_, y_test_ = (jnp.asarray(a, x.dtype) for a in (x_test, y_test))
    validate_inputs(params, x_test_, y_test_)
    steps = check_int("steps", steps)
    record_every = check_int("record_every", record_every)
    if steps % record_every:
        raise ValueError(
            f"`steps` ({steps}) debe ser un múltiplo de `record_every` ({record_every})."
        )
    lr = check_float("learning_rate", learning_rate, strictly_positive=True)
    loss = check_loss(loss)
    recs = _train_core(
        params, x, y, x_test_, y_test_, jnp.asarray(lr, x.dtype),
        activation=static["activation"], loss=loss,
        n_records=steps // record_every, record_every=record_every,
    )
    value, acc, change, gnorm = (np.asarray(r) for r in recs)
    return TrainingHistory(
        step=np.arange(value.shape[0]) * record_every,
        loss=value, test_accuracy=acc, weight_change=change, weight_grad_norm=gnorm,
    )
