"""Teoría de campo medio de la propagación de señales (Poole et al., 2016; Schoenholz et al., 2017).

Para una red ancha con pesos ``Var(W_ij) = σ_w²/fan_in`` y sesgos ``Var(b_i) = σ_b²``,
el segundo momento de las preactivaciones ``q_l = E[z_l²]`` sigue el mapa::

    q_{l+1} = σ_w² · E[φ(√q_l · Z)²] + σ_b²,      Z ~ N(0, 1)

con punto fijo ``q*``, y el cuadrado del gradiente retropropagado se multiplica en
cada capa (de la salida hacia la entrada) por el factor::

    χ₁ = σ_w² · E[φ'(√q* · Z)²]

así que ``ln‖∂L/∂z_l‖`` varía en ``½ ln χ₁`` por capa y la escala de profundidad es
``1/|ln χ₁|``. χ₁ < 1: fase ordenada (el gradiente se desvanece); χ₁ > 1: fase
caótica (explota); χ₁ = 1: borde del caos.

Cuadratura
----------
Las esperanzas gaussianas se calculan con una regla de Gauss-Legendre compuesta
en la variable ``z`` (no con Gauss-Hermite, que con 200 nodos comete errores de
1e-6 a 1e-2 para tanh con q grande y para activaciones con un codo en 0): el
intervalo ``[-12, 12]`` se parte en 0 (donde ReLU, ELU y SELU tienen el codo),
con paneles de anchura ≤ 0,25 y una malla geométrica hacia 0 que capta los
integrandos concentrados en ``|z| ≲ 1/√q`` cuando q es grande. La cola
``|z| > 12`` pesa menos de 1e-32. Error relativo frente a cuadratura adaptativa
(QUADPACK): < 1e-12 en las pruebas.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from typing import NamedTuple

from vgcourse._precision import x64_scope
from vgcourse._validation import check_float, check_int
from vgcourse.activations import derivative, get_activation

__all__ = [
    "batchnorm_chi1",
    "chi1",
    "critical_sigma_w2",
    "depth_scale",
    "fixed_point_q",
    "gaussian_expectation",
    "gradient_slope",
    "phase_diagram",
    "variance_map",
    "q_sequence",
    "residual_theory",
    "ResidualTheory",
]

_Z_MAX = 12.0
_GL_ORDER = 20
_GEOMETRIC_LEVELS = 60  # paneles de 0.25·2^-k, k = 1..60, hacia z = 0
_Q_FLOOR = 1e-300  # q* = 0 se evalúa en este q diminuto: da las derivadas laterales en 0


@functools.lru_cache(maxsize=1)
def _nodes() -> tuple[np.ndarray, np.ndarray]:
    """Nodos y pesos (float64) de la regla compuesta en z ∈ [-Z_MAX, Z_MAX].

    Los pesos ya incluyen la densidad gaussiana.
    """
    edges_pos = np.concatenate(
        [
            [0.0],
            0.25 * 2.0 ** -np.arange(_GEOMETRIC_LEVELS, 0, -1),
            np.arange(0.25, _Z_MAX + 1e-12, 0.25),
        ]
    )
    t, w = np.polynomial.legendre.leggauss(_GL_ORDER)
    a, b = edges_pos[:-1, None], edges_pos[1:, None]
    z = (0.5 * (b - a) * t + 0.5 * (b + a)).ravel()
    wz = (0.5 * (b - a) * w).ravel()
    z = np.concatenate([-z[::-1], z])
    wz = np.concatenate([wz[::-1], wz])
    density = np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)
    return z, wz * density


def gaussian_expectation(f, q: float) -> float:
    """``E[f(√q · Z)]`` con ``Z ~ N(0, 1)``, por la cuadratura compuesta (float64)."""
    q = check_float("q", q, minimum=0.0)
    z, w = _nodes()
    with x64_scope():
        vals = np.asarray(f(jnp.asarray(np.sqrt(max(q, _Q_FLOOR)) * z, dtype=jnp.float64)))
    return float(np.dot(w, vals))


def _check(activation, sigma_w2, sigma_b2):
    act = get_activation(activation)
    sigma_w2 = check_float("sigma_w2", sigma_w2, strictly_positive=True)
    sigma_b2 = check_float("sigma_b2", sigma_b2, minimum=0.0)
    return act, sigma_w2, sigma_b2


def variance_map(activation: str, q: float, *, sigma_w2: float, sigma_b2: float = 0.0) -> float:
    """Un paso del mapa de varianza: ``σ_w² E[φ(√q Z)²] + σ_b²``."""
    act, sigma_w2, sigma_b2 = _check(activation, sigma_w2, sigma_b2)
    return sigma_w2 * gaussian_expectation(lambda x: jnp.square(act.fn(x)), q) + sigma_b2


def q_sequence(
    activation: str, *, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0, depth: int = 50
) -> np.ndarray:
    """``[q_1, ..., q_depth]`` empezando en ``q_1 = q0`` (forma ``(depth,)``)."""
    depth = check_int("depth", depth)
    q0 = check_float("q0", q0, minimum=0.0)
    qs = [q0]
    for _ in range(depth - 1):
        qs.append(variance_map(activation, qs[-1], sigma_w2=sigma_w2, sigma_b2=sigma_b2))
    return np.asarray(qs)


def fixed_point_q(
    activation: str, *, sigma_w2: float, sigma_b2: float = 0.0, q0: float = 1.0
) -> float:
    """El punto fijo ``q*`` al que converge el mapa de varianza empezando en ``q0``.

    El mapa es creciente en q, así que la iteración desde ``q0`` converge de forma
    monótona al primer punto fijo en la dirección en que se mueve. Se localiza con
    una búsqueda geométrica y se refina por bisección (tolerancia relativa 1e-15).

    Returns:
        ``q*`` (``0.0`` si la varianza se extingue, como tanh con σ_w² ≤ 1 y σ_b² = 0;
        ``inf`` si crece sin límite, como ReLU con σ_w² > 2). Si el mapa es la
        identidad (ReLU con σ_w² = 2 y σ_b² = 0: todo q es un punto fijo), devuelve ``q0``.
    """
    act, sigma_w2, sigma_b2 = _check(activation, sigma_w2, sigma_b2)
    q0 = check_float("q0", q0, strictly_positive=True)

    def F(q):
        return variance_map(act.name, q, sigma_w2=sigma_w2, sigma_b2=sigma_b2) - q

    f0 = F(q0)
    if abs(f0) <= 1e-14 * q0:
        return q0
    step = 0.5 if f0 < 0 else 2.0
    a = q0
    while True:
        b = a * step
        if b < 1e-250:
            return 0.0
        if b > 1e250:
            return float("inf")
        fb = F(b)
        if (fb >= 0) if f0 < 0 else (fb <= 0):
            break
        a = b
    lo, hi = sorted((a, b))
    flo = F(lo)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        fm = F(mid)
        if fm == 0 or hi - lo <= 1e-15 * mid:
            return mid
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
    return 0.5 * (lo + hi)


def chi1(
    activation: str, *, sigma_w2: float, sigma_b2: float = 0.0, q: float | None = None
) -> float:
    """χ₁ = σ_w² E[φ'(√q* Z)²]: factor por capa del cuadrado del gradiente.

    Args:
        activation: nombre de la activación.
        sigma_w2: σ_w² (2 para He, 1 para Xavier en capas cuadradas, 1/3 para la estándar).
        sigma_b2: σ_b².
        q: si se da, se usa en lugar de ``q*`` (por ejemplo, para ReLU, cuyo χ₁ no
            depende de q).

    Si ``q* = 0``, se usa el límite ``q → 0⁺``, que en activaciones con un codo en 0
    promedia los cuadrados de las dos derivadas laterales (en ReLU, χ₁ = σ_w²/2).
    """
    act, sigma_w2, sigma_b2 = _check(activation, sigma_w2, sigma_b2)
    if q is None:
        q = fixed_point_q(act.name, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
    if q == float("inf"):
        raise ValueError(
            f"Con la activación {act.display_name}, σ_w² = {sigma_w2} y σ_b² = {sigma_b2}, "
            "la varianza crece sin límite (no hay punto fijo q*): χ₁ no está definido. "
            "Pasa `q` explícitamente."
        )
    dphi = derivative(act.name)
    return sigma_w2 * gaussian_expectation(lambda x: jnp.square(dphi(x)), q)


def batchnorm_chi1(activation: str) -> float:
    """Factor por capa del cuadrado del gradiente con normalización por lotes (estimación).

    Con normalización por lotes antes de la activación, ``z = (u − media)/desv`` con
    ``u = W h``: la escala de ``W`` se cancela, las preactivaciones quedan en N(0, 1)
    y, hacia la entrada, ``∂L/∂h = Wᵀ ∂L/∂u`` con ``∂L/∂u ≈ ∂L/∂z / desv(u)``. Como
    ``Var(u) = n·Var(W)·Var(h)``, el cuadrado del gradiente se multiplica en cada capa por::

        χ_BN = E[φ'(Z)²] / Var[φ(Z)],      Z ~ N(0, 1)

    sin σ_w: la inicialización deja de importar. Es una **estimación** de lote grande, no el
    teorema de Yang et al. (2019): ignora la proyección que añaden la media y la varianza del
    lote y los efectos de anchura finita. Para ReLU da π/(π − 1) ≈ 1.467; la pendiente medida
    depende del tamaño del lote (con la sigmoide queda bastante por encima de la estimación).

    Returns:
        χ_BN > 0 (``ln‖∂L/∂z_l‖`` crece ``½ ln χ_BN`` por capa hacia la entrada si > 1).
    """
    act = get_activation(activation)
    dphi = derivative(act.name)
    mean = gaussian_expectation(act.fn, 1.0)
    var = gaussian_expectation(lambda x: jnp.square(act.fn(x)), 1.0) - mean**2
    if var <= 0:
        raise ValueError(f"La activación {act.display_name} es constante: Var[φ(Z)] = 0.")
    return gaussian_expectation(lambda x: jnp.square(dphi(x)), 1.0) / var


@functools.lru_cache(maxsize=None)
def _gradient_slope(activation: str, sigma_w2: float, sigma_b2: float) -> float | None:
    try:
        chi = chi1(activation, sigma_w2=sigma_w2, sigma_b2=sigma_b2)
    except ValueError:  # sin punto fijo: la varianza crece sin límite
        return None
    return 0.5 * float(np.log(chi)) if chi > 0 else None


def gradient_slope(activation: str, *, sigma_w2: float, sigma_b2: float = 0.0) -> float | None:
    """Cambio de ``ln‖∂L/∂z_l‖`` por capa hacia la entrada que predice la teoría: ½·ln χ₁.

    Negativo si el gradiente se desvanece hacia la entrada; positivo si explota. Los
    resultados se guardan (la cuadratura se calcula una vez por configuración): los
    exploradores la piden en cada cambio de un control.

    Returns:
        ½·ln χ₁, o ``None`` si la teoría no da un χ₁: la varianza crece sin límite y no
        hay punto fijo q* (p. ej. SELU con He).
    """
    act, sigma_w2, sigma_b2 = _check(activation, sigma_w2, sigma_b2)
    return _gradient_slope(act.name, sigma_w2, sigma_b2)


# ---------------------------------------------------------------------------------------
# Redes residuales: el tronco y su gradiente, bloque a bloque
# ---------------------------------------------------------------------------------------
class ResidualTheory(NamedTuple):
    """Predicción de campo medio para una red residual (índice 0 = bloque 2, el primero con salto).

    ``second_moment`` tiene forma ``(L,)`` (índice 0 = capa 1); las otras dos, ``(L − 1,)``.
    """

    second_moment: np.ndarray  #: E[h_l²] por unidad en el tronco, l = 1..L
    forward: np.ndarray        #: E[h_l²] / E[h_{l-1}²]: cuánto crece el tronco en el bloque l
    backward: np.ndarray       #: ‖∂L/∂h_{l-1}‖² / ‖∂L/∂h_l‖²: cuánto crece el gradiente al cruzarlo


_HOMOGENEOUS = ("relu", "leaky_relu", "identity")


def residual_theory(
    activation: str,
    *,
    sigma_w2: float,
    alpha: float,
    depth: int,
    branch: str = "linear",
    sigma_b2: float = 0.0,
    batchnorm: bool = False,
    q1: float | None = None,
) -> ResidualTheory:
    """Cuánto crecen el tronco y su gradiente en cada bloque de una red residual ancha.

    Las dos formas de bloque de :mod:`vgcourse.networks` (``l ≥ 2``; ``q1`` = E[z_1²], por
    defecto ``σ_w² + σ_b²``, la de entradas N(0, 1)):

    - ``branch="linear"`` (el bloque estándar): la rama ``α(φ(h_{l-1}) W_l + b_l)`` tiene media
      0, así que el tronco es gaussiano de media 0 y ``s_l = E[h_l²]`` crece
      ``s_l = s_{l-1} + α²(σ_w² E[φ(h)²] + σ_b²)``; hacia atrás,
      ``∂L/∂h_{l-1} = ∂L/∂h_l + α [(∂L/∂h_l) W_lᵀ] ⊙ φ'(h_{l-1})`` y, en media sobre los pesos,
      el cuadrado del gradiente se multiplica por ``1 + α² σ_w² E[φ'(h_{l-1})²]`` (con ReLU y
      He, ``1 + α²``: el doble con α = 1, y ``(1 + 1/L)^L < e`` en L bloques con α = 1/√L).
      Con ``batchnorm=True`` la rama ve ``BN(h_{l-1}) ~ N(0, 1)`` y su retropropagación divide
      por la desviación del lote, ``√s_{l-1}`` (estimación de lote grande).
    - ``branch="activation"`` (la rama ``α φ(h_{l-1} W_l)`` termina en la activación): solo para
      activaciones positivamente homogéneas (ReLU, Leaky ReLU, identidad) y sin sesgos. La rama
      tiene media positiva, que se acumula: con μ_l la media del tronco,
      ``s_l = s_{l-1} + 2α μ_{l-1} E[φ(z_l)] + α² E[φ(z_l)²]`` con ``z_l ~ N(0, σ_w² s_{l-1})``.
      Hacia atrás, la homogeneidad da una identidad exacta: ``⟨∂L/∂h_l, h_l⟩`` vale lo mismo en
      todas las capas. La parte del gradiente paralela al tronco crece hacia la entrada tanto
      como ``s_l`` (``forward``); el resto, como ``1 + α² σ_w² E[φ'(z_l)²]``. Lejos de la salida
      manda la más rápida: ``backward`` es la mayor de las dos (con ReLU, He y α = 1, de ×2.6
      en el bloque 2 a ×2.9).

    Args:
        activation: nombre de la activación.
        sigma_w2, sigma_b2: varianzas de los pesos (×fan_in) y de los sesgos de las ramas.
        alpha: α, la escala de la rama.
        depth: número de capas L ≥ 2.
        branch: ``"linear"`` o ``"activation"``.
        batchnorm: normalización por lotes en la rama (solo ``branch="linear"``).
        q1: E[z_1²] de la capa 1.

    Returns:
        Un :class:`ResidualTheory`.
    """
    act, sigma_w2, sigma_b2 = _check(activation, sigma_w2, sigma_b2)
    alpha = check_float("alpha", alpha, minimum=0.0)
    depth = check_int("depth", depth, minimum=2)
    if branch not in ("linear", "activation"):
        raise ValueError(f"`branch` = {branch!r} no es válido. Los valores válidos son: linear, activation.")
    q1 = sigma_w2 + sigma_b2 if q1 is None else check_float("q1", q1, strictly_positive=True)
    dphi = derivative(act.name)
    E = gaussian_expectation  # noqa: N806
    square = lambda f: (lambda x: jnp.square(f(x)))  # noqa: E731
    second, forward, backward = [q1], [], []
    if branch == "linear":
        for _ in range(depth - 1):
            s = second[-1]
            q = 1.0 if batchnorm else s  # la rama ve BN(h) ~ N(0, 1) o el tronco, N(0, s)
            grow = sigma_w2 * E(square(act.fn), q) + sigma_b2
            slope = sigma_w2 * E(square(dphi), q) / (s if batchnorm else 1.0)
            second.append(s + alpha**2 * grow)
            forward.append(second[-1] / s)
            backward.append(1.0 + alpha**2 * slope)
    else:
        if act.name not in _HOMOGENEOUS or sigma_b2 > 0 or batchnorm:
            raise ValueError(
                "La teoría de la rama que termina en la activación solo está escrita para "
                f"activaciones homogéneas ({', '.join(_HOMOGENEOUS)}), sin sesgos ni "
                f"normalización; se pidió {act.display_name} con σ_b² = {sigma_b2} y "
                f"batchnorm={batchnorm}."
            )
        mean, second = E(act.fn, q1), [E(square(act.fn), q1)]
        for _ in range(depth - 1):
            s, q = second[-1], sigma_w2 * second[-1]
            m = E(act.fn, q)
            second.append(s + 2 * alpha * mean * m + alpha**2 * E(square(act.fn), q))
            mean += alpha * m
            forward.append(second[-1] / s)
            backward.append(max(forward[-1], 1.0 + alpha**2 * sigma_w2 * E(square(dphi), q)))
    return ResidualTheory(np.asarray(second), np.asarray(forward), np.asarray(backward))


def depth_scale(chi: float) -> float:
    """Escala de profundidad del gradiente ``1/|ln χ₁|`` (``inf`` en el borde del caos)."""
    chi = check_float("chi", chi, strictly_positive=True)
    return float("inf") if chi == 1.0 else 1.0 / abs(np.log(chi))


# ---------------------------------------------------------------------------------------
# Diagrama de fases: muchos (σ_w², σ_b²) a la vez
# ---------------------------------------------------------------------------------------
_LOG_Q_RANGE = (np.log(1e-30), np.log(1e6))  # q* por debajo de 1e-30 se trata como 0
_BISECTIONS = 64  # intervalo de 83 en ln q → precisión relativa ~1e-17 en q*


@functools.partial(jax.jit, static_argnames=("activation",))
def _phase_core(sigma_w2, sigma_b2, z, w, *, activation):
    """q* y χ₁ para arreglos (misma forma) de σ_w² y σ_b² por bisección en ln q (float64)."""
    act = get_activation(activation)
    dphi = derivative(act.name)

    def expect(f, q):  # E[f(√q Z)] para cada q del arreglo
        zz = jnp.reshape(z, (1,) * q.ndim + z.shape)  # sin promoción de rango implícita
        return jnp.tensordot(f(jnp.sqrt(q)[..., None] * zz), w, axes=1)

    def gap(log_q):  # F(q) = σ_w² E[φ²] + σ_b² − q
        q = jnp.exp(log_q)
        return sigma_w2 * expect(lambda x: jnp.square(act.fn(x)), q) + sigma_b2 - q

    lo = jnp.full(sigma_w2.shape, _LOG_Q_RANGE[0])
    hi = jnp.full(sigma_w2.shape, _LOG_Q_RANGE[1])
    rel_lo, rel_hi = gap(lo) / jnp.exp(lo), gap(hi) / jnp.exp(hi)
    # el mapa es la identidad (ReLU con σ_w² = 2 y σ_b² = 0): todo q es un punto fijo y,
    # como en fixed_point_q, se toma q* = q0 = 1
    identity = (jnp.abs(rel_lo) < 1e-10) & (jnp.abs(rel_hi) < 1e-10)
    vanishes = (rel_lo <= 0) & ~identity  # sin punto fijo positivo: la varianza se extingue (q* = 0)
    unbounded = (rel_hi > 0) & ~identity  # crece sin límite en el intervalo: q* = ∞

    def step(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        up = gap(mid) > 0
        return jnp.where(up, mid, lo), jnp.where(up, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _BISECTIONS, step, (lo, hi))
    q_star = jnp.where(vanishes, 0.0, jnp.where(unbounded, jnp.inf, jnp.exp(0.5 * (lo + hi))))
    q_star = jnp.where(identity, 1.0, q_star)
    q_eval = jnp.where(vanishes, _Q_FLOOR, jnp.where(unbounded, 1.0, q_star))
    chi = sigma_w2 * expect(lambda x: jnp.square(dphi(x)), q_eval)
    return q_star, jnp.where(unbounded, jnp.nan, chi)


def phase_diagram(activation: str, sigma_w2s, sigma_b2s) -> tuple[np.ndarray, np.ndarray]:
    """``q*`` y ``χ₁`` en la malla ``σ_w² × σ_b²`` (la misma teoría que :func:`chi1`, vectorizada).

    Args:
        activation: nombre de la activación.
        sigma_w2s: valores de σ_w² > 0, forma ``(W,)``.
        sigma_b2s: valores de σ_b² ≥ 0, forma ``(B,)``.

    Returns:
        ``(q_star, chi)``, dos arreglos ``(B, W)`` (fila = σ_b², columna = σ_w²). ``q* = 0``
        donde la varianza se extingue (χ₁ se evalúa entonces en el límite q → 0⁺, como
        :func:`chi1`); ``q* = inf`` y ``χ₁ = nan`` donde la varianza crece sin límite
        (por ejemplo ReLU con σ_w² > 2): ahí no hay punto fijo y χ₁ no está definido. Si
        el mapa es la identidad (ReLU con σ_w² = 2 y σ_b² = 0), ``q* = 1`` como en
        :func:`fixed_point_q`.
    """
    act = get_activation(activation)
    ws = np.asarray([check_float("sigma_w2s", v, strictly_positive=True)
                     for v in np.atleast_1d(sigma_w2s)])
    bs = np.asarray([check_float("sigma_b2s", v, minimum=0.0) for v in np.atleast_1d(sigma_b2s)])
    if ws.size == 0 or bs.size == 0:
        raise ValueError("`sigma_w2s` y `sigma_b2s` deben tener al menos un valor.")
    z, w = _nodes()
    W, B = np.meshgrid(ws, bs)
    with x64_scope():
        q_star, chi = _phase_core(jnp.asarray(W), jnp.asarray(B), jnp.asarray(z), jnp.asarray(w),
                                  activation=act.name)
        return np.asarray(q_star), np.asarray(chi)


def critical_sigma_w2(activation: str, sigma_b2s, *, bracket: tuple[float, float] = (0.05, 50.0)):
    """El borde del caos: para cada σ_b², el σ_w² con ``χ₁ = 1`` (bisección, 50 pasos).

    χ₁ crece con σ_w² para las activaciones acotadas (tanh, sigmoide), así que hay a lo sumo
    un σ_w² crítico por σ_b². Por debajo de la línea crítica la red está en la fase ordenada
    (el gradiente se desvanece); por encima, en la caótica (explota).

    Args:
        activation: nombre de la activación.
        sigma_b2s: valores de σ_b² ≥ 0, forma ``(B,)``.
        bracket: intervalo de búsqueda de σ_w².

    Returns:
        Arreglo ``(B,)`` de σ_w² críticos (``nan`` si χ₁ = 1 no ocurre en ``bracket``).
    """
    act = get_activation(activation)
    bs = np.asarray([check_float("sigma_b2s", v, minimum=0.0) for v in np.atleast_1d(sigma_b2s)])
    lo_w, hi_w = (check_float("bracket", v, strictly_positive=True) for v in bracket)
    z, w = (jnp.asarray(a) for a in _nodes())
    with x64_scope():
        b = jnp.asarray(bs)
        lo, hi = jnp.full(b.shape, lo_w), jnp.full(b.shape, hi_w)
        chi_lo = _phase_core(lo, b, z, w, activation=act.name)[1]
        chi_hi = _phase_core(hi, b, z, w, activation=act.name)[1]
        found = (chi_lo < 1) & (chi_hi > 1)
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            above = _phase_core(mid, b, z, w, activation=act.name)[1] > 1
            lo, hi = jnp.where(above, lo, mid), jnp.where(above, mid, hi)
        return np.where(np.asarray(found), np.asarray(0.5 * (lo + hi)), np.nan)
