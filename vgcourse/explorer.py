"""Núcleo numérico de los exploradores interactivos: una sola compilación para todo.

Un explorador cambia activación, profundidad, anchura e inicialización al mover un
control. Si cada cambio llamara a :func:`vgcourse.layer_gradients` con otra forma u
otra activación estática, cada movimiento recompilaría (segundos en 2 núcleos). Aquí
todo lo que cambia es un argumento *trazado* de una única función compilada:

- **activación**: un índice en :data:`EXPLORER_ACTIVATIONS`, elegido con
  ``jax.lax.switch`` dentro de la red;
- **profundidad**: las capas l > d se desactivan (como en :mod:`vgcourse.sweeps`);
- **anchura**: la red se construye con la anchura máxima; las unidades j ≥ n tienen
  pesos nulos y su salida se multiplica por 0. Esas unidades no influyen en nada: sus
  gradientes son exactamente 0 y las normas por capa son las de la red de anchura n;
- **inicialización**: los pesos son ``sqrt(σ_w²/fan_in) · R`` con ``R`` una matriz de
  varianza 1 sorteada una sola vez (normal truncada en ±2, como
  ``jax.nn.initializers``, para Xavier, He y LeCun; uniforme para la estándar) y
  ``σ_w²`` la de :func:`vgcourse.sigma_w2`.

Para una anchura n, la red es la de anchura n cuyos pesos son el bloque superior
izquierdo n×n de las matrices sorteadas: es una red aleatoria legítima con la
inicialización pedida (un sorteo distinto del de :func:`vgcourse.init_mlp`, con la misma
distribución). Las normas son gradientes exactos de ``jax.grad``; las capas con
*underflow* se marcan igual que en :func:`vgcourse.layer_gradients`.
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._core import batch_core, check_architecture, grad_core
from vgcourse._precision import resolve_dtype
from vgcourse._validation import check_choice, check_float, check_int, check_int_sequence
from vgcourse.activations import ACTIVATIONS, get_activation, saturated_mask, saturation_bounds
from vgcourse.initializers import sigma_w2

__all__ = [
    "EXPLORER_ACTIVATIONS",
    "EXPLORER_INITS",
    "ExplorerResult",
    "GradientExplorer",
]

#: Activaciones del explorador, en el orden de sus índices.
EXPLORER_ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATIONS)

#: Inicializaciones del explorador y si su matriz base es uniforme.
EXPLORER_INITS: dict[str, bool] = {
    "standard": True,
    "xavier_normal": False,
    "he_normal": False,
    "lecun_normal": False,
}

_TRUNC_STD = 0.87962566103423978  # desviación típica de N(0, 1) truncada en ±2


class ExplorerResult(NamedTuple):
    """Resultado de una configuración, como arreglos de NumPy de longitud ``depth``.

    Índice 0 = capa 1 (junto a la entrada). Las normas en *underflow* son ``NaN``.
    """

    preact_norm: np.ndarray         #: ‖∂L/∂Z_l‖_F
    weight_norm: np.ndarray         #: ‖∂L/∂W_l‖_F
    preact_underflow: np.ndarray    #: máscara de underflow de ∂L/∂Z_l
    weight_underflow: np.ndarray    #: máscara de underflow de ∂L/∂W_l
    saturated_fraction: np.ndarray  #: fracción de preactivaciones en la región saturada
    preact_second_moment: np.ndarray  #: media de z_l² (q_l)
    loss: float


def _bounds_table(dtype) -> tuple[jax.Array, jax.Array]:
    lo, hi = zip(*(saturation_bounds(a) for a in EXPLORER_ACTIVATIONS))
    return jnp.asarray(lo, dtype), jnp.asarray(hi, dtype)


@functools.partial(jax.jit, static_argnames=("max_depth", "max_width", "n_in", "n_out", "batch", "dtype"))
def _raw_core(key, *, max_depth, max_width, n_in, n_out, batch, dtype):
    k_w, k_data = jax.random.split(key)
    k_in, k_hidden, k_out = jax.random.split(k_w, 3)

    def draw(k, shape):
        kt, ku = jax.random.split(k)
        trunc = jax.random.truncated_normal(kt, -2.0, 2.0, shape, dtype) / _TRUNC_STD
        unif = jax.random.uniform(ku, shape, dtype, minval=-math.sqrt(3.0), maxval=math.sqrt(3.0))
        return trunc, unif

    hidden = jax.vmap(lambda i: draw(jax.random.fold_in(k_hidden, i), (max_width, max_width)))(
        jnp.arange(max_depth - 1)
    )
    x, y = batch_core(k_data, batch=batch, n_in=n_in, n_out=n_out, dtype=dtype)
    return {
        "input": draw(k_in, (n_in, max_width)),
        "hidden": hidden,
        "readout": draw(k_out, (max_width, n_out)),
    }, x, y


def _explore_core(raw, x, y, act_index, depth, width, uniform, scales, lo, hi, alpha, *,
                  residual, batchnorm):
    """Núcleo trazado: salvo ``raw``, ``x``, ``y`` y la arquitectura (estática), todo son escalares trazados."""
    dt = x.dtype
    max_width = raw["input"][0].shape[1]
    mask = (jnp.arange(max_width) < width).astype(dt)
    pick = lambda pair: jnp.where(uniform, pair[1], pair[0])  # noqa: E731
    s_in, s_hidden, s_out = scales
    params = {
        "input": {"W": pick(raw["input"]) * mask[None, :] * s_in, "b": jnp.zeros(max_width, dt)},
        "hidden": {
            "W": pick(raw["hidden"]) * (mask[:, None] * mask[None, :])[None] * s_hidden,
            "b": jnp.zeros((raw["hidden"][0].shape[0], max_width), dt),
        },
        "readout": {"W": pick(raw["readout"]) * mask[:, None] * s_out, "b": jnp.zeros(y.shape[1], dt)},
    }
    branches = [get_activation(a).fn for a in EXPLORER_ACTIVATIONS]

    def phi(z):
        # las unidades inactivas (j ≥ n) salen a 0: sin esto, φ(0) ≠ 0 (sigmoide) daría
        # gradientes no nulos a sus pesos de salida, que no existen en la red de anchura n
        return jax.lax.switch(act_index, branches, z) * mask[None, :]

    g, z = grad_core(params, x, y, depth, alpha, activation=phi, residual=residual,
                     batchnorm=batchnorm, loss="mse", return_arrays=False, with_preacts=True)
    count = x.shape[0] * width.astype(dt)
    sat = saturated_mask(z, (lo[act_index], hi[act_index])).astype(dt) * mask[None, None, :]
    return (
        g.preact_norm, g.weight_norm, g.preact_underflow, g.weight_underflow,
        jnp.sum(sat, axis=(1, 2)) / count,
        jnp.sum(jnp.square(z) * mask[None, None, :], axis=(1, 2)) / count,
        g.loss,
    )


_explore_jit = jax.jit(_explore_core, static_argnames=("residual", "batchnorm"))

#: Las cuatro arquitecturas (residual, batchnorm): una compilación por arquitectura.
_ARCHITECTURES = ((False, False), (True, False), (False, True), (True, True))


class GradientExplorer:
    """Gradientes exactos por capa para cualquier configuración, sin recompilar.

    Crear el explorador sortea una vez las matrices base (clave ``jax.random.key(seed)``)
    y un lote gaussiano fijo. Cada llamada con otra activación, profundidad, anchura o
    inicialización reutiliza la misma función compilada.

    Args:
        seed: semilla de las matrices base y del lote.
        max_depth: profundidad máxima L_max (número de capas ocultas).
        widths: anchuras permitidas; la red se construye con la mayor.
        n_in, n_out: dimensiones de la entrada y de la salida.
        batch: tamaño del lote.
        dtype: ``"float64"`` (por defecto; requiere :func:`vgcourse.enable_x64`) o ``"float32"``.

    Ejemplo::

        ex = GradientExplorer(seed=0, max_depth=60)
        r = ex(activation="sigmoid", depth=30, width=64, init="xavier_normal")
        r.preact_norm[0] / r.preact_norm[-1]   # capa 1 frente a capa 30
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        max_depth: int = 60,
        widths: tuple[int, ...] = (16, 32, 64, 128),
        n_in: int = 64,
        n_out: int = 1,
        batch: int = 64,
        dtype: str | None = None,
    ):
        self.seed = check_int("seed", seed, minimum=0)
        self.max_depth = check_int("max_depth", max_depth)
        self.widths = tuple(sorted(set(check_int_sequence("widths", widths))))
        self.n_in = check_int("n_in", n_in)
        self.n_out = check_int("n_out", n_out)
        self.batch = check_int("batch", batch, minimum=2)
        self.dtype = resolve_dtype(dtype)
        self._raw, self._x, self._y = _raw_core(
            jax.random.key(self.seed),
            max_depth=self.max_depth, max_width=self.widths[-1], n_in=self.n_in,
            n_out=self.n_out, batch=self.batch, dtype=self.dtype,
        )
        self._lo, self._hi = _bounds_table(self.dtype)
        self._warm: set[tuple[bool, bool]] = set()  # arquitecturas ya compiladas por warmup()

    def scales(self, init: str, width: int) -> tuple[float, float, float]:
        """Factores ``sqrt(σ_w²/fan_in)`` de la capa 1, de las capas ocultas y de la capa de salida."""
        s = lambda fi, fo: math.sqrt(sigma_w2(init, fi, fo) / fi)  # noqa: E731
        return s(self.n_in, width), s(width, width), s(width, self.n_out)

    def __call__(
        self,
        *,
        activation: str,
        depth: int,
        width: int,
        init: str,
        residual: bool = False,
        residual_scale: float = 1.0,
        batchnorm: bool = False,
    ) -> ExplorerResult:
        """Gradientes y estadísticas por capa de una configuración.

        ``residual``/``batchnorm`` eligen la arquitectura (como en
        :func:`vgcourse.layer_gradients`; cada una se compila una vez, ver :meth:`warmup`);
        ``residual_scale`` (α) es trazado.
        """
        act, residual, alpha, batchnorm = check_architecture(
            activation, residual, residual_scale, batchnorm
        )
        alpha = check_float("residual_scale", alpha, minimum=0.0, maximum=10.0)
        depth = check_int("depth", depth)
        if depth > self.max_depth:
            raise ValueError(
                f"`depth` debe estar entre 1 y {self.max_depth} (la profundidad máxima de este "
                f"explorador); se recibió {depth}."
            )
        width = check_int("width", width)
        if width not in self.widths:
            raise ValueError(
                f"`width` = {width} no es válido. Las anchuras de este explorador son: "
                f"{', '.join(map(str, self.widths))}."
            )
        init = check_choice("init", init, EXPLORER_INITS)
        dt = self.dtype
        out = _explore_jit(
            self._raw, self._x, self._y,
            jnp.asarray(EXPLORER_ACTIVATIONS.index(act), jnp.int32),
            jnp.asarray(depth, jnp.int32),
            jnp.asarray(width, jnp.int32),
            jnp.asarray(EXPLORER_INITS[init]),
            tuple(jnp.asarray(s, dt) for s in self.scales(init, width)),
            self._lo, self._hi, jnp.asarray(alpha, dt),
            residual=residual, batchnorm=batchnorm,
        )
        arrays = [np.asarray(a)[:depth] for a in out[:-1]]
        return ExplorerResult(*arrays, loss=float(out[-1]))

    def warmup(self, architectures=_ARCHITECTURES) -> None:
        """Compila por adelantado las arquitecturas ``(residual, batchnorm)`` indicadas.

        Después, ningún cambio de activación, profundidad, anchura, inicialización, α ni
        arquitectura (entre las calentadas) compila nada.
        """
        for residual, batchnorm in architectures:
            if (residual, batchnorm) in self._warm:
                continue  # varios exploradores comparten este objeto: se calienta una vez
            self(activation="relu", depth=2, width=self.widths[0], init="he_normal",
                 residual=residual, batchnorm=batchnorm)
            self._warm.add((residual, batchnorm))
