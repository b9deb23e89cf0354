"""Dinámica del aprendizaje: qué recibe y cuánto se mueve cada capa *durante* el entrenamiento.

:func:`train_dynamics` entrena con cualquier optimizador de optax y registra, cada
``record_every`` pasos, lo mismo que el capítulo 1 mide al inicializar: la norma exacta
del gradiente de las preactivaciones de cada capa, ``‖∂L/∂Z_l‖`` (un ``jax.grad``
respecto de una perturbación nula, como :func:`vgcourse.layer_gradients`), la de los
pesos, ``‖∂L/∂W_l‖``, y cuánto han cambiado los pesos de cada capa desde el principio,
``‖W_l(t) − W_l(0)‖ / ‖W_l(0)‖``.

Los pasos van dentro de ``jax.lax.scan`` (un bloque compilado de ``record_every`` pasos
por registro, no un bucle de Python paso a paso); entre bloques, una barra de progreso
(``tqdm.auto``) si se pide. Un gradiente por debajo del umbral de *underflow* se
registra como ``NaN``, nunca como un cero medido.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from vgcourse.gradients import grad_core, layer_weight_norms
from vgcourse.networks import Params
from vgcourse.training import _accuracy, _loss, _prepare, _relative_change

__all__ = ["DynamicsHistory", "train_dynamics"]


class DynamicsHistory(NamedTuple):
    """Registro del entrenamiento, como arreglos de NumPy (capa 1 = índice 0).

    ``T`` = número de registros (el paso 0 y luego cada ``record_every`` pasos).
    """

    step: np.ndarray              #: (T,) número de paso
    loss: np.ndarray              #: (T,) pérdida de entrenamiento
    test_accuracy: np.ndarray     #: (T,) fracción de aciertos en el conjunto de prueba
    preact_grad_norm: np.ndarray  #: (T, L) ‖∂L/∂Z_l‖ (NaN si hay underflow)
    weight_grad_norm: np.ndarray  #: (T, L) ‖∂L/∂W_l‖ (NaN si hay underflow)
    weight_change: np.ndarray     #: (T, L) ‖W_l(t) − W_l(0)‖ / ‖W_l(0)‖
    params: Params | None = None  #: parámetros al final


_STATIC = ("optimizer", "activation", "residual", "batchnorm", "loss", "record_every")


@functools.partial(jax.jit, static_argnames=_STATIC)
def _block(params, opt_state, params0, x, y, x_test, y_test, alpha, *, optimizer, activation,
           residual, batchnorm, loss, record_every):
    """Registra el estado actual y da ``record_every`` pasos del optimizador (en un scan)."""
    arch = dict(activation=activation, residual=residual, batchnorm=batchnorm)

    def update(carry, g):
        p, s = carry
        updates, s = optimizer.update(g, s, p)
        return (optax.apply_updates(p, updates), s)

    # el registro: gradientes exactos por capa (y el gradiente de los parámetros, que da el
    # primer paso del bloque sin recalcularlo)
    g = grad_core(params, x, y, None, alpha, loss=loss, return_arrays=True, **arch)
    acc = _accuracy(params, x_test, y_test, alpha, arch)
    change = _relative_change(params, params0, layer_weight_norms(params0)[0])
    record = (g.loss, acc, g.preact_norm, g.weight_norm, change)

    carry = update((params, opt_state), g.weight_grads)

    def step(c, _):
        return update(c, jax.grad(_loss)(c[0], x, y, alpha, loss, arch)), None

    carry, _ = jax.lax.scan(step, carry, None, length=record_every - 1)
    return carry, record


def train_dynamics(
    params: Params,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    optimizer: optax.GradientTransformation,
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
    progress: str | None = None,
) -> DynamicsHistory:
    """Entrena con el lote completo y el optimizador de optax dado, registrando cada capa.

    Args:
        optimizer: un ``optax.GradientTransformation`` (``optax.sgd(0.1)``, ``optax.adam(1e-3)``...).
            Créalo una vez y reutilízalo: cada objeto nuevo se compila de nuevo.
        record_every: pasos entre registros, y tamaño de cada bloque compilado.
        params, x, y, activation, steps, x_test, y_test, loss, residual, residual_scale,
            batchnorm, dtype: como en :func:`vgcourse.train`.
        progress: si se da, texto de una barra de progreso (``tqdm.auto``) que avanza por bloques.

    Returns:
        Un :class:`DynamicsHistory` con ``steps/record_every + 1`` registros.
    """
    if not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            "`optimizer` debe ser un optimizador de optax (por ejemplo optax.sgd(0.1) u "
            f"optax.adam(1e-3)); se recibió {type(optimizer).__name__}."
        )
    # la misma validación que vgcourse.train (datos, arquitectura, pasos y registros)
    params, x, y, x_test, y_test, alpha, kw = _prepare(
        params, x, y, x_test, y_test, activation, steps, record_every, loss,
        residual, residual_scale, batchnorm, dtype,
    )
    n_blocks, record_every = kw.pop("n_records"), kw["record_every"]
    kwargs = dict(optimizer=optimizer, **kw)

    bar = None
    if progress is not None:
        from tqdm.auto import tqdm  # noqa: PLC0415 (solo si se pide la barra)

        bar = tqdm(total=n_blocks * record_every, desc=str(progress), unit=" pasos",
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} pasos")
    carry = (params, optimizer.init(params))
    records = []
    for _ in range(n_blocks):
        carry, rec = _block(*carry, params, x, y, x_test, y_test, alpha, **kwargs)
        records.append(rec)
        if bar is not None:
            bar.update(record_every)
    if bar is not None:
        bar.close()
    # el registro final (paso = steps); los pasos que el bloque da después se descartan
    _, last = _block(*carry, params, x, y, x_test, y_test, alpha, **kwargs)
    records.append(last)
    value, acc, pre, wgt, change = (np.stack([np.asarray(r[i]) for r in records]) for i in range(5))
    return DynamicsHistory(
        step=np.arange(len(records)) * record_every, loss=value, test_accuracy=acc,
        preact_grad_norm=pre, weight_grad_norm=wgt, weight_change=change, params=carry[0],
    )
