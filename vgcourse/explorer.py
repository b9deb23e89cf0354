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
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from vgcourse._core import batch_core, check_architecture, forward_core, grad_core, layer_summary, loss_fn
from vgcourse._precision import resolve_dtype
from vgcourse._validation import check_choice, check_float, check_int, check_int_sequence
from vgcourse.concurrency import parallel_map
from vgcourse.activations import (
    ACTIVATIONS,
    activation_curves,
    get_activation,
    saturated_mask,
    saturation_bounds,
)
from vgcourse.initializers import sigma_w2
from vgcourse.theory import gradient_slope

__all__ = [
    "EXPLORER_ACTIVATIONS",
    "EXPLORER_INITS",
    "ExplorerGrid",
    "ExplorerResult",
    "GradientExplorer",
    "GridProfile",
    "explorer_grid",
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


def _bounds_table(dtype, activations=EXPLORER_ACTIVATIONS) -> tuple[jax.Array, jax.Array]:
    lo, hi = zip(*(saturation_bounds(a) for a in activations))
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


def _params_from_raw(raw, uniform, scales, n_out: int, dt, mask=None):
    """Los parámetros de la red a partir de las matrices base sorteadas: la base uniforme o la
    normal truncada (``uniform``) por ``sqrt(σ_w²/fan_in)`` de cada capa (``scales``), sin
    sesgos. Con ``mask`` (1 en las unidades activas), las demás unidades quedan con pesos nulos."""
    pick = lambda pair: jnp.where(uniform, pair[1], pair[0])  # noqa: E731
    s_in, s_hidden, s_out = scales
    w_in, w_hidden, w_out = pick(raw["input"]), pick(raw["hidden"]), pick(raw["readout"])
    if mask is not None:
        w_in = w_in * mask[None, :]
        w_hidden = w_hidden * (mask[:, None] * mask[None, :])[None]
        w_out = w_out * mask[:, None]
    width = w_in.shape[1]
    return {
        "input": {"W": w_in * s_in, "b": jnp.zeros(width, dt)},
        "hidden": {"W": w_hidden * s_hidden, "b": jnp.zeros((w_hidden.shape[0], width), dt)},
        "readout": {"W": w_out * s_out, "b": jnp.zeros(n_out, dt)},
    }


def _explore_core(raw, x, y, act_index, depth, width, uniform, scales, lo, hi, alpha, *,
                  residual, batchnorm):
    """Núcleo trazado: salvo ``raw``, ``x``, ``y`` y la arquitectura (estática), todo son escalares trazados."""
    dt = x.dtype
    max_width = raw["input"][0].shape[1]
    mask = (jnp.arange(max_width) < width).astype(dt)
    params = _params_from_raw(raw, uniform, scales, y.shape[1], dt, mask)
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


# ---------------------------------------------------------------------------------------
# Rejilla precalculada: los exploradores del libro en línea, sin núcleo
# ---------------------------------------------------------------------------------------
class GridProfile(NamedTuple):
    """Los perfiles de una configuración de la rejilla (longitud ``depth``; índice 0 = capa 1).

    Las normas en *underflow* son ``NaN``, como en :class:`ExplorerResult`.
    """

    preact_norm: np.ndarray         #: ‖∂L/∂Z_l‖_F (en las redes residuales, ‖∂L/∂h_l‖ del tronco)
    weight_norm: np.ndarray         #: ‖∂L/∂W_l‖_F
    saturated_fraction: np.ndarray  #: fracción de preactivaciones en la región saturada
    theory_slope: float             #: ½·ln χ₁ por capa (solo la red simple y si la rejilla la tiene; si no, NaN)


class ExplorerGrid(NamedTuple):
    """Los gradientes exactos de todas las configuraciones de una rejilla del explorador.

    Los ejes de los arreglos siguen el orden de los campos: activación (A), inicialización
    (I), anchura (W), arquitectura (R), profundidad (D) y capa (hasta la mayor profundidad de
    la rejilla). Las capas l > L de una red de L capas y las normas en *underflow* son ``NaN``.
    """

    activations: tuple[str, ...]
    inits: tuple[str, ...]
    widths: tuple[int, ...]
    #: ``(residual, α, normalización por lotes)`` de cada arquitectura; sin saltos, α no cuenta
    architectures: tuple[tuple[bool, float, bool], ...]
    depths: tuple[int, ...]
    preact_norm: np.ndarray          #: (A, I, W, R, D, L_max)
    weight_norm: np.ndarray          #: (A, I, W, R, D, L_max)
    saturated_fraction: np.ndarray   #: (A, I, W, R, L_max): no depende de la profundidad
    #: (A, I, W): ½·ln χ₁ de la red simple (NaN sin punto fijo); ``None`` si no se pidió
    theory_slope: np.ndarray | None
    #: activación → ``(x, φ(x), φ'(x), (límite inferior, límite superior))`` para dibujarla;
    #: ``None`` si no se pidió
    curves: dict | None
    #: el explorador que midió la rejilla (``seed``, ``widths``, ``n_in``, ``n_out``,
    #: ``batch``): con él se puede recalcular cualquier configuración
    explorer: dict

    @property
    def size(self) -> int:
        """Número de configuraciones de la rejilla."""
        return int(np.prod(self.preact_norm.shape[:5]))

    def architecture_index(self, residual: bool, residual_scale: float, batchnorm: bool) -> int:
        """Índice de la arquitectura ``(residual, α, batchnorm)`` (sin saltos, α no cuenta)."""
        for i, (r, a, b) in enumerate(self.architectures):
            if r == bool(residual) and b == bool(batchnorm) and (not r or math.isclose(a, residual_scale)):
                return i
        valid = "; ".join(_describe_architecture(*arch) for arch in self.architectures)
        raise ValueError(
            f"La arquitectura (residual={residual}, residual_scale={residual_scale}, "
            f"batchnorm={batchnorm}) no está en la rejilla. Las de la rejilla son: {valid}."
        )

    def profile(self, *, activation: str, init: str, width: int, depth: int,
                residual: bool = False, residual_scale: float = 1.0,
                batchnorm: bool = False) -> GridProfile:
        """Los perfiles de una configuración de la rejilla."""
        a = _grid_position("activation", get_activation(activation).name, self.activations)
        i = _grid_position("init", init, self.inits)
        w = _grid_position("width", width, self.widths)
        d = _grid_position("depth", depth, self.depths)
        r = self.architecture_index(residual, residual_scale, batchnorm)
        return GridProfile(
            preact_norm=self.preact_norm[a, i, w, r, d, :depth],
            weight_norm=self.weight_norm[a, i, w, r, d, :depth],
            saturated_fraction=self.saturated_fraction[a, i, w, r, :depth],
            theory_slope=(math.nan if self.theory_slope is None or residual or batchnorm
                          else float(self.theory_slope[a, i, w])),
        )


def _describe_architecture(residual: bool, alpha: float, batchnorm: bool) -> str:
    text = f"con saltos (α = {alpha:g})" if residual else "sin saltos"
    return text + (", con normalización por lotes" if batchnorm else "")


def _grid_position(arg: str, value, valid: tuple) -> int:
    if value not in valid:
        raise ValueError(
            f"`{arg}` = {value!r} no está en la rejilla. Los valores de la rejilla son: "
            f"{', '.join(map(str, valid))}."
        )
    return valid.index(value)


def _grid_core(raw, x, y, act_index, uniform, scales, alpha, lo, hi, *, activations, depths,
               residual, batchnorm):
    """Todas las profundidades de la rejilla con un solo paso hacia delante.

    La red de L capas es la de ``max(depths)`` capas leída en la capa L: sus capas son un
    prefijo de la grande. ``jax.jacrev`` de las pérdidas de todas las profundidades (una
    por fila) da, en una sola retropropagación vectorizada, ∂L_d/∂W_l y ∂L_d/∂Z_l de cada
    profundidad d: los gradientes exactos de cada red, sin perturbar las otras.
    """
    dt = x.dtype
    width = raw["input"][0].shape[1]
    n_hidden = raw["hidden"][0].shape[0]
    params = _params_from_raw(raw, uniform, scales, y.shape[1], dt)
    # solo las activaciones de la rejilla: cada rama de más alarga la compilación
    branches = [get_activation(a).fn for a in activations]
    phi = lambda z: jax.lax.switch(act_index, branches, z)  # noqa: E731
    last = jnp.asarray(depths) - 1

    def losses(p, e):
        _, (z, h) = forward_core(p, x, e, None, alpha, activation=phi, residual=residual,
                                 batchnorm=batchnorm, collect=True)
        out = jnp.einsum("kbn,no->kbo", h[last], p["readout"]["W"]) + p["readout"]["b"][None, None]
        return jax.vmap(lambda o: loss_fn(o, y, "mse"))(out), z

    perturb = jnp.zeros((n_hidden + 1, x.shape[0], width), dt)
    (g_params, g_z), z = jax.jacrev(losses, argnums=(0, 1), has_aux=True)(params, perturb)
    summary = jax.vmap(lambda gp, gz, d: layer_summary(jnp.zeros((), dt), gp, gz, d,
                                                       residual=residual))(
        g_params, g_z, jnp.asarray(depths)
    )
    active = jnp.arange(n_hidden + 1)[None, :] < jnp.asarray(depths)[:, None]
    nan = jnp.asarray(jnp.nan, dt)
    sat = saturated_mask(z, (lo[act_index], hi[act_index])).astype(dt)
    return (jnp.where(active, summary.preact_norm, nan),
            jnp.where(active, summary.weight_norm, nan),
            jnp.mean(sat, axis=(1, 2)))


def _row_sharding(n_rows: int, shard: bool | None) -> NamedSharding | None:
    """El reparto de las filas de una rejilla entre los dispositivos locales, o ``None`` si no
    se reparte (un solo dispositivo, ``shard=False``, o menos filas que dispositivos con
    ``shard=None``)."""
    devices = jax.local_devices()
    if shard is False or len(devices) == 1 or (shard is None and n_rows < len(devices)):
        return None
    return NamedSharding(Mesh(np.array(devices), ("fila",)), PartitionSpec("fila"))


@functools.lru_cache(maxsize=None)
def _grid_jit(activations: tuple[str, ...], depths: tuple[int, ...], residual, batchnorm: bool):
    core = functools.partial(_grid_core, activations=activations, depths=depths,
                             residual=residual, batchnorm=batchnorm)
    # una fila por (inicialización, α): todas comparten el sorteo y la activación
    return jax.jit(jax.vmap(core, in_axes=(None, None, None, None, 0, 0, 0, None, None)))


def explorer_grid(
    explorer: GradientExplorer,
    *,
    activations: tuple[str, ...] = EXPLORER_ACTIVATIONS,
    inits: tuple[str, ...] = tuple(EXPLORER_INITS),
    widths: tuple[int, ...] | None = None,
    depths=range(5, 61, 5),
    residual: tuple[bool, ...] = (False,),
    residual_scales: tuple[float, ...] = (1.0,),
    batchnorm: tuple[bool, ...] = (False,),
    theory: bool = False,
    curves: bool = False,
    shard: bool | None = None,
) -> ExplorerGrid:
    """Calcula de una vez todas las configuraciones de una rejilla del explorador.

    Cada configuración da los mismos gradientes que ``explorer(...)`` (las mismas matrices
    sorteadas y el mismo lote), salvo diferencias de redondeo de float64, pero la
    rejilla entera se calcula con una compilación por anchura y arquitectura (que van a la
    vez, una por núcleo, con :func:`vgcourse.parallel_map`): todas las
    profundidades comparten un paso hacia delante, y las inicializaciones y las α van
    vectorizadas. La usa el libro en línea, donde no hay núcleo que calcule.

    Con varios dispositivos locales (varias GPU, o varios dispositivos de CPU con
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N``), las filas vectorizadas
    (inicialización × α) se reparten entre todos con :mod:`jax.sharding`, como las semillas
    de :func:`vgcourse.gradient_sweep`: los números son los mismos que con uno solo.

    Args:
        explorer: el :class:`GradientExplorer` cuyas redes se miden.
        activations, inits: activaciones e inicializaciones de la rejilla.
        widths: anchuras (por defecto, las del explorador).
        depths: profundidades (entre 2 y ``explorer.max_depth``).
        residual, residual_scales, batchnorm: arquitecturas; las α solo se combinan con
            ``residual=True``.
        theory: calcular también la pendiente ½·ln χ₁ de la teoría de campo medio (la vista
            ``"teoria"``; unos 0.15 s por activación e inicialización).
        curves: guardar también cada activación y su derivada (la vista ``"activacion"``).
        shard: repartir las filas entre los dispositivos locales (``None``: si hay varios y
            al menos tantas filas como dispositivos; ``False``: nunca).
    """
    if not isinstance(explorer, GradientExplorer):
        raise TypeError(
            f"`explorer` debe ser un vgcourse.GradientExplorer; se recibió {type(explorer).__name__}."
        )
    acts = tuple(dict.fromkeys(get_activation(a).name for a in activations))
    for a in acts:
        check_choice("activations", a, EXPLORER_ACTIVATIONS)
    inits = tuple(dict.fromkeys(check_choice("inits", i, EXPLORER_INITS) for i in inits))
    widths = explorer.widths if widths is None else tuple(sorted(set(check_int_sequence("widths", widths))))
    for n in widths:
        if n not in explorer.widths:
            raise ValueError(
                f"`widths`: {n} no es una anchura del explorador. Sus anchuras son: "
                f"{', '.join(map(str, explorer.widths))}."
            )
    depths = tuple(sorted(set(check_int_sequence("depths", depths, minimum=2))))
    if depths[-1] > explorer.max_depth:
        raise ValueError(
            f"`depths` debe estar entre 2 y {explorer.max_depth} (la profundidad máxima del "
            f"explorador); se recibió {depths[-1]}."
        )
    scales_alpha = tuple(check_float("residual_scales", a, minimum=0.0, maximum=10.0)
                         for a in residual_scales)
    for arg, values in (("residual", residual), ("batchnorm", batchnorm)):
        if not values or not all(isinstance(v, (bool, np.bool_)) for v in values):
            raise TypeError(f"`{arg}` debe ser una tupla de True/False; se recibió {values!r}.")
    archs = []
    for bn in dict.fromkeys(bool(b) for b in batchnorm):
        for r in dict.fromkeys(bool(r) for r in residual):
            archs += [(True, a, bn) for a in scales_alpha] if r else [(False, 1.0, bn)]
    archs = tuple(sorted(archs, key=lambda t: (t[2], t[0], t[1])))
    if shard not in (None, True, False):
        raise TypeError(f"`shard` debe ser None, True o False; se recibió {shard!r}.")

    max_l = depths[-1]
    dt = explorer.dtype
    lo, hi = _bounds_table(dt, acts)
    shape = (len(acts), len(inits), len(widths), len(archs), len(depths), max_l)
    z_out, w_out = np.full(shape, np.nan), np.full(shape, np.nan)
    sat_out = np.full(shape[:4] + (max_l,), np.nan)
    raw_all = explorer._raw
    raw_by_width = {  # las matrices base recortadas a cada anchura, una vez por anchura
        n: {
            "input": tuple(m[:, :n] for m in raw_all["input"]),
            "hidden": tuple(m[: max_l - 1, :n, :n] for m in raw_all["hidden"]),
            "readout": tuple(m[:n] for m in raw_all["readout"]),
        }
        for n in widths
    }

    def group(task):
        """Todas las activaciones de una anchura y una arquitectura (una compilación)."""
        n, (res, bn) = task
        raw = raw_by_width[n]
        members = [k for k, (r, _, b) in enumerate(archs) if (r, b) == (res, bn)]
        rows = [(i, k) for i in inits for k in members]
        sharding = _row_sharding(len(rows), shard)
        padded = rows + rows[-1:] * (0 if sharding is None else -len(rows) % sharding.mesh.size)
        sc = np.array([explorer.scales(i, n) for i, _ in padded])
        row_args = (np.array([EXPLORER_INITS[i] for i, _ in padded]),
                    tuple(np.asarray(sc[:, j], dt) for j in range(3)),
                    np.array([archs[k][1] for _, k in padded], dt))
        # las filas, repartidas entre los dispositivos (o en el único que hay); lo demás, copiado
        # en todos
        uniform, scales, alpha = jax.device_put(row_args, sharding)
        common = (raw, explorer._x, explorer._y, lo, hi)
        if sharding is not None:
            common = jax.device_put(common, NamedSharding(sharding.mesh, PartitionSpec()))
        raw_c, x, y, lo_c, hi_c = common
        fn = _grid_jit(acts, depths, "linear" if res else False, bn)
        return rows, [tuple(np.asarray(a)[: len(rows)] for a in fn(
            raw_c, x, y, jnp.asarray(ai, jnp.int32), uniform, scales, alpha, lo_c, hi_c))
            for ai in range(len(acts))]

    # cada anchura y arquitectura es un programa compilado distinto: a la vez, uno por núcleo
    tasks = [(n, arch) for n in widths for arch in dict.fromkeys((r, b) for r, _, b in archs)]
    for (n, _), (rows, per_act) in zip(tasks, parallel_map(group, tasks), strict=True):
        wi = widths.index(n)
        for ai, (zn, wn, sat) in enumerate(per_act):
            for row, (init, k) in enumerate(rows):
                ii = inits.index(init)
                z_out[ai, ii, wi, k] = zn[row]
                w_out[ai, ii, wi, k] = wn[row]
                sat_out[ai, ii, wi, k] = sat[row]
    slope = None
    if theory:
        slope = np.full(shape[:3], np.nan)
        for ai, act in enumerate(acts):
            for ii, init in enumerate(inits):
                for wi, n in enumerate(widths):
                    value = gradient_slope(act, sigma_w2=sigma_w2(init, n, n))
                    slope[ai, ii, wi] = np.nan if value is None else value
    drawn = None
    if curves:
        x = np.linspace(-6.0, 6.0, 241)
        drawn = {}
        for act in acts:
            phi, dphi = activation_curves(act, x)
            drawn[act] = (x, np.asarray(phi), np.asarray(dphi), saturation_bounds(act))
    source = dict(seed=explorer.seed, widths=list(explorer.widths), n_in=explorer.n_in,
                  n_out=explorer.n_out, batch=explorer.batch)
    return ExplorerGrid(acts, inits, widths, archs, depths, z_out, w_out, sat_out, slope, drawn,
                        source)
