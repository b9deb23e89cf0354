"""Entrenar redes recurrentes en el problema de la suma: dónde deja de aprender la RNN simple.

:func:`train_adding` entrena una celda (``"rnn"``, ``"lstm"`` o ``"gru"``) en el problema de
la suma (:func:`vgcourse.adding_problem`) con varias longitudes de secuencia, varias semillas
y, si se pide, varios umbrales de recorte del gradiente (``optax.clip_by_global_norm``), todo
en **una sola compilación por celda**:

- cada paso de entrenamiento genera un lote nuevo de la tarea a partir de la clave (nada se
  descarga ni se guarda) y da un paso del optimizador de optax; los pasos van dentro de
  ``jax.lax.scan``;
- las longitudes comparten la compilación porque las secuencias más cortas se rellenan a la
  izquierda hasta la más larga y el estado no cambia durante el relleno
  (``valid_from`` de :func:`vgcourse.recurrent_loss`): la pérdida y los gradientes son
  exactamente los de la secuencia sin relleno (probado);
- longitudes y umbrales van en un ``jax.vmap`` de esas trayectorias; cada semilla es una
  llamada del mismo programa compilado, y las semillas (de una celda o de varias, con
  :func:`train_adding_cells`) van a la vez, una por núcleo (:func:`vgcourse.parallel_map`).
  En CPU es más rápido que otro eje del ``vmap``: las operaciones de una red de anchura 16 son
  tan pequeñas que XLA ejecuta cada trayectoria en un solo núcleo.

Cada semilla ``s`` da ``jax.random.split(jax.random.key(s), 3) = (k_init, k_datos, k_prueba)``:
la misma inicialización y los mismos lotes para todas las longitudes y todos los umbrales
(comparaciones emparejadas), y un conjunto de prueba fijo por semilla y longitud.

La pérdida es la ``"mse"`` del paquete (½ error cuadrático, media sobre el lote): predecir
siempre 1 da :data:`ADDING_BASELINE` = 1/12, la referencia que hay que batir. Por defecto
en float64: en float32 nada se acerca al *underflow*, pero el orden de las sumas cambia con el
número de hilos, y 600 iteraciones amplifican ese redondeo hasta la primera cifra decimal de
la pérdida final (medido con uno y dos núcleos); en float64 queda en la sexta.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from vgcourse._precision import resolve_dtype
from vgcourse._recurrent_core import CELLS, adding_sequences, init_params
from vgcourse._validation import check_choice, check_float, check_int, check_int_sequence, check_seeds
from vgcourse.concurrency import parallel_map
from vgcourse.recurrent import recurrent_loss

__all__ = ["ADDING_BASELINE", "AddingHistory", "OPTIMIZERS", "train_adding", "train_adding_cells"]

#: pérdida de quien predice siempre 1 (la media del objetivo): Var(suma)/2 = (1/6)/2
ADDING_BASELINE = 1.0 / 12.0
#: optimizadores disponibles (``optax.adam`` y ``optax.sgd``)
OPTIMIZERS = ("adam", "sgd")


class AddingHistory(NamedTuple):
    """Registro de :func:`train_adding`, como arreglos de NumPy.

    Ejes: L longitudes × C umbrales de recorte × S semillas × P pasos.
    """

    lengths: tuple[int, ...]          #: (L,) longitudes T de las secuencias
    clips: tuple[float | None, ...]   #: (C,) umbrales de recorte (None: sin recorte)
    seeds: tuple[int, ...]            #: (S,) semillas
    loss: np.ndarray                  #: (L, C, S, P) pérdida del lote de cada paso (antes del paso)
    grad_norm: np.ndarray             #: (L, C, S, P) ‖∂L/∂θ‖ de cada paso, antes de recortar
    test_loss: np.ndarray             #: (L, C, S) pérdida final en 1024 secuencias nuevas
    params: dict | None = None        #: parámetros finales, cada hoja con ejes (L, C, S, ...)
    initial: dict | None = None       #: parámetros iniciales, cada hoja con ejes (S, ...)

    def final_params(self, length: int, clip_index: int = 0, seed_index: int = 0) -> dict:
        """Los parámetros finales de una trayectoria (``length`` es una de :attr:`lengths`)."""
        if length not in self.lengths:
            raise ValueError(f"`length` = {length!r} no se entrenó; las longitudes son {self.lengths}.")
        i = self.lengths.index(length)
        return jax.tree.map(lambda a: a[i, clip_index, seed_index], self.params)

    def initial_params(self, seed_index: int = 0) -> dict:
        """Los parámetros con que empezó la semilla ``seeds[seed_index]`` (los mismos para todas
        las longitudes y todos los umbrales)."""
        return jax.tree.map(lambda a: a[seed_index], self.initial)

    @property
    def relative_test_loss(self) -> np.ndarray:
        """``test_loss / ADDING_BASELINE``: 1 = no mejor que predecir siempre 1; 0 = perfecto."""
        return self.test_loss / ADDING_BASELINE


def _check_clips(clips: object) -> tuple[float | None, ...]:
    if clips is None or isinstance(clips, (int, float)):
        clips = (clips,)
    if not isinstance(clips, Sequence) or isinstance(clips, str) or len(clips) == 0:
        raise TypeError(
            "`clips` debe ser una secuencia no vacía de umbrales de recorte (números > 0, o None "
            f"para no recortar); se recibió {clips!r}."
        )
    return tuple(None if c is None else check_float("clips", c, strictly_positive=True)
                 for c in clips)


@functools.partial(jax.jit, static_argnames=(
    "cell", "max_length", "hidden", "steps", "batch", "test_batch", "optimizer", "dtype"))
def _train_jit(keys, lengths, clips, learning_rate, scale, forget_bias, *, cell, max_length,
               hidden, steps, batch, test_batch, optimizer, dtype):
    def start(key):
        k_init = jax.random.split(key, 3)[0]
        return init_params(k_init, scale, forget_bias, cell=cell, hidden=hidden, n_in=2,
                           n_out=1, dtype=dtype)

    def one(key, params, length, clip):
        _, k_data, k_test = jax.random.split(key, 3)
        base = (optax.adam if optimizer == "adam" else optax.sgd)(learning_rate)
        opt = optax.chain(optax.clip_by_global_norm(clip), base)  # clip = ∞: sin recorte

        def loss_of(p, key, size):
            x, y, start = adding_sequences(key, length, max_length=max_length, batch=size,
                                           dtype=dtype)
            return recurrent_loss(p, x, y, cell=cell, valid_from=start)

        def step(carry, k):
            p, state = carry
            value, g = jax.value_and_grad(loss_of)(p, k, batch)
            updates, state = opt.update(g, state, p)
            norm = jnp.sqrt(sum(jnp.sum(leaf * leaf) for leaf in jax.tree.leaves(g)))
            return (optax.apply_updates(p, updates), state), (value, norm)

        (params, _), (loss, grad_norm) = jax.lax.scan(
            step, (params, opt.init(params)), jax.random.split(k_data, steps))
        return loss, grad_norm, loss_of(params, k_test, test_batch), params

    # (L, C, S): longitudes × umbrales × semillas, en un vmap de las trayectorias; cada semilla
    # empieza en los mismos parámetros con todas las longitudes y todos los umbrales
    initial = jax.vmap(start)(keys)
    over_seeds = jax.vmap(one, in_axes=(0, 0, None, None))
    over_clips = jax.vmap(over_seeds, in_axes=(None, None, None, 0))
    out = jax.vmap(over_clips, in_axes=(None, None, 0, None))(keys, initial, lengths, clips)
    return (*out, initial)


def train_adding(
    cell: str,
    *,
    lengths: int | Sequence[int],
    seeds: int | Sequence[int] = (0, 1, 2),
    clips: float | None | Sequence[float | None] = (None,),
    hidden: int = 32,
    steps: int = 600,
    batch: int = 64,
    optimizer: str = "adam",
    learning_rate: float = 1e-2,
    scale: float = 1.0,
    forget_bias: float = 1.0,
    test_batch: int = 1024,
    dtype: str | None = None,
) -> AddingHistory:
    """Entrena ``cell`` en el problema de la suma con cada longitud, umbral y semilla.

    Args:
        cell: ``"rnn"`` (tanh), ``"lstm"`` o ``"gru"``.
        lengths: longitudes T ≥ 2 de las secuencias (una compilación para todas).
        seeds: semillas ≥ 0 (ver el módulo).
        clips: umbrales de ``optax.clip_by_global_norm`` (``None``: sin recorte).
        hidden: anchura n del estado oculto.
        steps: pasos de entrenamiento, con un lote nuevo de ``batch`` secuencias en cada uno.
        optimizer: ``"adam"`` o ``"sgd"``, con tasa ``learning_rate``.
        scale, forget_bias: como en :func:`vgcourse.init_recurrent`.
        test_batch: secuencias del conjunto de prueba (nuevas, fijas por semilla).
        dtype: ``"float64"`` (por defecto donde el backend lo admite) o ``"float32"``.

    Returns:
        Un :class:`AddingHistory` con ejes (longitudes, umbrales, semillas, pasos).
    """
    return train_adding_cells(
        (cell,), lengths=lengths, seeds=seeds, clips=clips, hidden=hidden, steps=steps,
        batch=batch, optimizer=optimizer, learning_rate=learning_rate, scale=scale,
        forget_bias=forget_bias, test_batch=test_batch, dtype=dtype)[cell]


def train_adding_cells(cells: Sequence[str], **options) -> dict[str, AddingHistory]:
    """:func:`train_adding` de varias celdas a la vez: ``{celda: AddingHistory}``.

    Da lo mismo que entrenar una celda detrás de otra, pero reparte entre los núcleos todas las
    llamadas (celdas × semillas) en un solo :func:`vgcourse.parallel_map`: primero una semilla
    de cada celda (las compilaciones de celdas distintas van a la vez) y después las demás, que
    ya encuentran su programa compilado.

    Args:
        cells: celdas (``"rnn"``, ``"lstm"``, ``"gru"``).
        **options: las de :func:`train_adding` (``lengths`` es obligatoria).
    """
    if isinstance(cells, str):
        cells = (cells,)
    cells = [check_choice("cell", c, CELLS) for c in cells]
    if "lengths" not in options:
        raise TypeError("Falta `lengths`: las longitudes de las secuencias del problema de la suma.")
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise TypeError(f"`train_adding_cells` no acepta {', '.join(map(repr, unknown))}. "
                        f"Las opciones válidas son: {', '.join(_OPTIONS)}.")
    o = {**_DEFAULTS, **options}
    lengths = check_int_sequence("lengths", o["lengths"], minimum=2)
    seeds = check_seeds("seeds", o["seeds"])
    clips = _check_clips(o["clips"])
    static = dict(
        hidden=check_int("hidden", o["hidden"]), steps=check_int("steps", o["steps"]),
        batch=check_int("batch", o["batch"]), test_batch=check_int("test_batch", o["test_batch"]),
        optimizer=check_choice("optimizer", o["optimizer"], OPTIMIZERS),
        max_length=max(lengths), dtype=resolve_dtype(o["dtype"]),
    )
    dt = static["dtype"]
    traced = (
        jnp.asarray(lengths, jnp.int32),
        jnp.asarray([np.inf if c is None else c for c in clips], dt),
        jnp.asarray(check_float("learning_rate", o["learning_rate"], strictly_positive=True), dt),
        jnp.asarray(check_float("scale", o["scale"], minimum=0.0, maximum=1e3), dt),
        jnp.asarray(check_float("forget_bias", o["forget_bias"], minimum=-1e3, maximum=1e3), dt),
    )

    def one(task):
        cell, seed = task
        keys = jax.vmap(jax.random.key)(jnp.asarray([seed], dtype=jnp.uint32))
        return _train_jit(keys, *traced, cell=cell, **static)

    tasks = [(cell, seed) for seed in seeds for cell in cells]
    done = dict(zip(tasks, parallel_map(one, tasks), strict=True))
    histories = {}
    for cell in cells:
        parts = [done[cell, seed] for seed in seeds]  # (pérdida, norma, prueba, params, inicial)
        on_seeds = [np.concatenate([np.asarray(p[i]) for p in parts], axis=2) for i in range(3)]
        params = jax.tree.map(lambda *a: jnp.asarray(np.concatenate(a, axis=2)),
                              *(p[3] for p in parts))
        initial = jax.tree.map(lambda *a: jnp.asarray(np.concatenate(a, axis=0)),
                               *(p[4] for p in parts))
        histories[cell] = AddingHistory(lengths=lengths, clips=clips, seeds=seeds,
                                        loss=on_seeds[0], grad_norm=on_seeds[1],
                                        test_loss=on_seeds[2], params=params, initial=initial)
    return histories


#: opciones de :func:`train_adding` (todas menos ``cell``) y sus valores por defecto, sacados
#: de su firma: una sola fuente para las dos funciones (``lengths`` no tiene valor por defecto)
_SIGNATURE = inspect.signature(train_adding).parameters
_OPTIONS = tuple(_SIGNATURE)[1:]
_DEFAULTS = {name: _SIGNATURE[name].default for name in _OPTIONS
             if _SIGNATURE[name].default is not inspect.Parameter.empty}
