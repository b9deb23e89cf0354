"""Entrenamiento con el lote completo y cualquier optimizador de optax, registrando cada capa.

Una sola forma de entrenar en todo el curso: :func:`train` da ``steps`` pasos de un
optimizador de optax (por defecto, descenso de gradiente, ``optax.sgd``) sobre el lote
completo, sin claves aleatorias, y registra cada ``record_every`` pasos lo mismo que el
capítulo 1 mide al inicializar:

- la pérdida de entrenamiento y la exactitud en el conjunto de prueba;
- la norma exacta del gradiente de las preactivaciones de cada capa, ``‖∂L/∂Z_l‖``, y la
  de sus pesos, ``‖∂L/∂W_l‖`` (el mismo ``jax.grad`` que :func:`vgcourse.layer_gradients`;
  una capa en *underflow* se registra como ``NaN``, nunca como un cero medido);
- cuánto han cambiado los pesos de cada capa desde el principio,
  ``‖W_l(t) − W_l(0)‖_F / ‖W_l(0)‖_F``. Un cambio menor que :data:`CHANGE_RESOLUTION` veces el
  épsilon del tipo de dato (unos 1e-14 en float64) no es una medida: es lo que deja el
  redondeo cuando el paso es menor que la resolución de los pesos (sumarlo no los cambia, o
  solo en la última cifra). Se registra como ``NaN``, nunca como un cambio medido.

Con descenso de gradiente, lo que se mueve cada capa es exactamente η veces su gradiente
acumulado: una capa con gradientes diminutos apenas cambia.

Los pasos van dentro de ``jax.lax.scan``, en bloques compilados de ``record_every`` pasos
(una compilación por arquitectura y optimizador; el primer paso de cada bloque reutiliza el
gradiente del registro). Entre bloques, si se pide, avanza una barra de progreso
(``tqdm.auto``). :func:`train_lr_grid` entrena con K tasas: la tasa es un hiperparámetro
trazado (``optax.inject_hyperparams``), así que las K trayectorias comparten una compilación, y
van a la vez, una por núcleo (:func:`vgcourse.parallel_map`). Es más rápido que un
``jax.vmap`` de las K trayectorias (en CPU, un producto de matrices por lotes pequeños rinde
menos que K productos sueltos: 11.2 s frente a 4 × 2.4 s en un núcleo para la red de partida
del capítulo 4) y da exactamente lo mismo que :func:`train` con cada tasa.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Required, Unpack

import jax
import jax.numpy as jnp
import numpy as np
import optax

from vgcourse._core import (
    NetworkOptions,
    Params,
    check_loss,
    forward_core,
    grad_core,
    layer_weight_norms,
    loss_fn,
    prepare_call,
)
from vgcourse._validation import check_float, check_int, check_learning_rates, validate_inputs
from vgcourse.concurrency import parallel_map

__all__ = ["GridResult", "TrainingHistory", "TrainingOptions", "train", "train_lr_grid"]


class TrainingHistory(NamedTuple):
    """Registro del entrenamiento, como arreglos de NumPy (capa 1 = índice 0).

    ``T`` = número de registros: el paso 0 y luego uno cada ``record_every`` pasos.
    """

    step: np.ndarray              #: (T,) número de paso
    loss: np.ndarray              #: (T,) pérdida de entrenamiento
    test_accuracy: np.ndarray     #: (T,) fracción de aciertos en el conjunto de prueba
    preact_grad_norm: np.ndarray  #: (T, L) ‖∂L/∂Z_l‖_F (NaN si hay underflow)
    weight_grad_norm: np.ndarray  #: (T, L) ‖∂L/∂W_l‖_F (NaN si hay underflow)
    weight_change: np.ndarray     #: (T, L) ‖W_l(t) − W_l(0)‖_F / ‖W_l(0)‖_F (NaN: sin medida)
    params: Params | None = None  #: parámetros al final del entrenamiento


class GridResult(NamedTuple):
    """Resultado de :func:`train_lr_grid`."""

    learning_rates: np.ndarray  #: (K,) tasas probadas
    final_loss: np.ndarray      #: (K,) pérdida de entrenamiento final con cada tasa (NaN si diverge)
    best_learning_rate: float   #: la menor tasa que acaba a menos de un 1 % de la mejor pérdida
    history: TrainingHistory    #: el registro completo con la mejor tasa

    @classmethod
    def select(cls, learning_rates: Sequence[float],
               histories: Sequence[TrainingHistory]) -> GridResult:
        """La búsqueda ya entrenada: ``histories[k]`` es el entrenamiento con
        ``learning_rates[k]``. Elige la tasa como :func:`train_lr_grid`."""
        rates = [float(r) for r in learning_rates]
        final_loss = np.array([h.loss[-1] for h in histories])
        final_loss = np.where(np.isfinite(final_loss), final_loss, np.nan)
        best = 0
        if np.isfinite(final_loss).any():
            lowest = np.nanmin(final_loss)
            near = np.flatnonzero(final_loss <= lowest + 0.01 * abs(lowest))
            best = int(near[np.argmin(np.asarray(rates)[near])])
        return cls(np.asarray(rates), final_loss, rates[best], histories[best])


class TrainingOptions(NetworkOptions, total=False):
    """Lo que :func:`train` y :func:`train_lr_grid` necesitan además del optimizador.

    Obligatorias: ``activation`` (nombre de la activación), ``steps`` (número de pasos,
    múltiplo de ``record_every``), ``x_test`` y ``y_test`` (datos de prueba para la
    exactitud). Opcionales: ``record_every`` (10: pasos entre registros y tamaño de cada
    bloque compilado), ``loss`` (``"cross_entropy"``, con objetivos *one-hot*, o ``"mse"``)
    y las opciones de la red (:class:`vgcourse.NetworkOptions`).
    """

    activation: Required[str]
    steps: Required[int]
    x_test: Required[jax.typing.ArrayLike]
    y_test: Required[jax.typing.ArrayLike]
    record_every: int
    loss: str


_REQUIRED = ("activation", "steps", "x_test", "y_test")


#: por debajo de este múltiplo del épsilon del tipo de dato, el cambio relativo de los pesos
#: no se distingue del redondeo (64·ε ≈ 1.4e-14 en float64, 7.6e-6 en float32)
CHANGE_RESOLUTION = 64


#: descenso de gradiente con la tasa como hiperparámetro trazado: todas las trayectorias de
#: SGD de una arquitectura comparten una compilación, sea cual sea su tasa
_SGD = optax.inject_hyperparams(optax.sgd)(learning_rate=1.0)

_STATIC = ("optimizer", "activation", "residual", "batchnorm", "loss", "record_every")


def _block_impl(params, opt_state, grads, first, params0, x, y, x_test, y_test, alpha, *,
                optimizer, activation, residual, batchnorm, loss, record_every):
    """Un bloque: ``record_every`` pasos del optimizador y el registro del estado al que llegan.

    El primer paso usa ``grads``, el gradiente que dio el registro anterior (no se calcula
    dos veces). Con ``first`` (trazado) no se da ningún paso: solo se registra el estado
    inicial, con la misma función compilada.

    Returns:
        ``((params, opt_state), grads, registro)``, con el registro
        ``(pérdida, exactitud, ‖∂L/∂Z_l‖, ‖∂L/∂W_l‖, cambio relativo)``.
    """
    arch = dict(activation=activation, residual=residual, batchnorm=batchnorm)

    def objective(p):
        out, _ = forward_core(p, x, None, None, alpha, collect=False, **arch)
        return loss_fn(out, y, loss)

    def update(carry, g):
        p, s = carry
        updates, s = optimizer.update(g, s, p)
        return optax.apply_updates(p, updates), s

    def steps(carry):
        carry = update(carry, grads)
        return jax.lax.scan(lambda c, _: (update(c, jax.grad(objective)(c[0])), None), carry,
                            None, length=record_every - 1)[0]

    carry = jax.lax.cond(first, lambda c: c, steps, (params, opt_state))
    p = carry[0]
    g = grad_core(p, x, y, None, alpha, loss=loss, return_arrays=True, **arch)
    # con normalización por lotes, el conjunto de prueba se normaliza con sus propias
    # estadísticas (un solo lote): no hay medias móviles en este curso
    out_test, _ = forward_core(p, x_test, None, None, alpha, collect=False, **arch)
    hits = jnp.argmax(out_test, -1) == jnp.argmax(y_test, -1)
    w0_norm = layer_weight_norms(params0)[0]
    change = layer_weight_norms(jax.tree.map(jnp.subtract, p, params0))[0] / w0_norm
    resolved = first | (change >= CHANGE_RESOLUTION * jnp.finfo(x.dtype).eps)
    change = jnp.where(resolved, change, jnp.nan)
    record = (g.loss, jnp.mean(hits.astype(x.dtype)), g.preact_norm, g.weight_norm, change)
    return carry, g.weight_grads, record


_block = jax.jit(_block_impl, static_argnames=_STATIC)


def _prepare(params, x, y, *, activation, steps, x_test, y_test, record_every=10,
             loss="cross_entropy", **options):
    """Valida y convierte los argumentos comunes (:class:`TrainingOptions`) de :func:`train` y
    :func:`train_lr_grid`.

    Returns:
        ``(params, datos, kwargs estáticos del bloque, número de bloques)``, con
        ``datos = (x, y, x_test, y_test, alpha)``.
    """
    params, x, y, alpha, static = prepare_call(params, x, y, activation, options)
    x_test, y_test = (jnp.asarray(a, x.dtype) for a in (x_test, y_test))
    validate_inputs(params, x_test, y_test)
    steps = check_int("steps", steps)
    record_every = check_int("record_every", record_every)
    if steps % record_every:
        raise ValueError(
            f"`steps` ({steps}) debe ser un múltiplo de `record_every` ({record_every})."
        )
    kwargs = dict(loss=check_loss(loss), record_every=record_every, **static)
    return params, (x, y, x_test, y_test, alpha), kwargs, steps // record_every


def _training_options(options) -> dict:
    missing = [name for name in _REQUIRED if name not in options]
    if missing:
        raise TypeError(
            f"Falta {', '.join(f'`{m}`' for m in missing)}: el entrenamiento necesita "
            f"{', '.join(_REQUIRED)} (ver vgcourse.TrainingOptions)."
        )
    return options


def _run(params, opt_state, data, kwargs, n_blocks, progress):
    """Registro inicial y ``n_blocks`` bloques desde ``params`` (contra los que se mide el cambio
    de los pesos); devuelve ``(registros apilados, params finales)``."""
    bar = None
    if progress is not None:
        from tqdm.auto import tqdm  # noqa: PLC0415 (solo si se pide la barra)

        every = kwargs["record_every"]
        bar = tqdm(total=n_blocks * every, desc=str(progress), unit=" pasos",
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} pasos")
    zeros = jax.tree.map(jnp.zeros_like, params)  # no se usa: el primer registro no da pasos
    carry, grads, rec = _block(params, opt_state, zeros, True, params, *data, **kwargs)
    records = [rec]
    for _ in range(n_blocks):
        carry, grads, rec = _block(*carry, grads, False, params, *data, **kwargs)
        records.append(rec)
        if bar is not None:
            bar.update(kwargs["record_every"])
    if bar is not None:
        bar.close()
    stacked = tuple(np.stack([np.asarray(r[i]) for r in records]) for i in range(5))
    return stacked, carry[0]


def _history(records, params, record_every: int) -> TrainingHistory:
    value, acc, preact, weight, change = records
    return TrainingHistory(
        step=np.arange(value.shape[0]) * record_every, loss=value, test_accuracy=acc,
        preact_grad_norm=preact, weight_grad_norm=weight, weight_change=change, params=params,
    )


def train(
    params: Params,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    learning_rate: float | None = None,
    optimizer: optax.GradientTransformation | None = None,
    progress: str | None = None,
    **options: Unpack[TrainingOptions],
) -> TrainingHistory:
    """Entrena la red con el lote completo y registra cada capa (ver el módulo).

    Args:
        params: parámetros iniciales (de :func:`vgcourse.init_mlp`).
        x, y: datos de entrenamiento ``(B, n_in)`` y objetivos ``(B, n_out)``.
        learning_rate: tasa η > 0 del descenso de gradiente (``optax.sgd``). Todas las tasas
            comparten una compilación.
        optimizer: en lugar de ``learning_rate``, cualquier ``optax.GradientTransformation``
            (``optax.adam(1e-3)``...). Créalo una vez y reutilízalo: cada objeto nuevo se
            compila de nuevo.
        progress: si se da, texto de una barra de progreso (``tqdm.auto``) que avanza por bloques.
        **options: :class:`TrainingOptions`: ``activation``, ``steps``, ``x_test``,
            ``y_test`` (obligatorias), ``record_every``, ``loss`` y las opciones de la red
            (``residual``, ``residual_scale``, ``batchnorm``, ``dtype``).

    Returns:
        Un :class:`TrainingHistory` con ``steps/record_every + 1`` registros y los parámetros
        finales.
    """
    if (learning_rate is None) == (optimizer is None):
        raise TypeError(
            "Da exactamente uno de `learning_rate` (descenso de gradiente, optax.sgd) u "
            "`optimizer` (un optimizador de optax, por ejemplo optax.adam(1e-3))."
        )
    if optimizer is not None and not isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            "`optimizer` debe ser un optimizador de optax (por ejemplo optax.sgd(0.1) u "
            f"optax.adam(1e-3)); se recibió {type(optimizer).__name__}."
        )
    if learning_rate is not None:
        learning_rate = check_float("learning_rate", learning_rate, strictly_positive=True)
    params, data, kwargs, n_blocks = _prepare(params, x, y, **_training_options(options))
    if optimizer is None:
        optimizer = _SGD
        opt_state = _SGD.init(params)
        opt_state.hyperparams["learning_rate"] = jnp.asarray(learning_rate, data[0].dtype)
    else:
        opt_state = optimizer.init(params)
    records, final = _run(params, opt_state, data,
                          dict(optimizer=optimizer, **kwargs), n_blocks, progress)
    return _history(records, final, kwargs["record_every"])


def train_lr_grid(
    params: Params,
    x: jax.typing.ArrayLike,
    y: jax.typing.ArrayLike,
    *,
    learning_rates: Sequence[float],
    **options: Unpack[TrainingOptions],
) -> GridResult:
    """Entrena con varias tasas de descenso de gradiente y se queda con la mejor.

    Cada arquitectura tiene su tasa buena: compararlas con una sola tasa mediría la tasa,
    no la arquitectura. Las K tasas son K llamadas a :func:`train` que comparten una
    compilación y van a la vez, una por núcleo (:func:`vgcourse.parallel_map`).

    La «mejor» tasa es la **menor** de las que acaban a menos de un 1 % (relativo) de la pérdida
    final más baja: si varias tasas empatan (una red que no aprende acaba en la pérdida del azar
    con todas), la elección no depende del redondeo.

    Args:
        learning_rates: secuencia de tasas > 0.
        **options: como en :func:`train`.
    """
    rates = check_learning_rates("learning_rates", learning_rates)
    _prepare(params, x, y, **_training_options(options))  # valida antes de abrir los hilos
    histories = parallel_map(
        lambda lr: train(params, x, y, learning_rate=lr, **options), rates)
    return GridResult.select(rates, histories)
