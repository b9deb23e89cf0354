"""Inicializaciones de pesos.

Notación: una capa con matriz ``W`` de forma ``(fan_in, fan_out)`` se inicializa
con ``Var(W_ij) = σ_w² / fan_in``; ``σ_w²`` es la «ganancia de varianza» que
aparece en la teoría de campo medio (:mod:`vgcourse.theory`).

==================  ===========================================  ============================
nombre              distribución                                 σ_w²
==================  ===========================================  ============================
``standard``        U(−1/√fan_in, 1/√fan_in) (Glorot y Bengio,   1/3
                    2010, ec. 1; también el ``nn.Linear`` de
                    PyTorch)
``xavier_normal``   normal truncada (``jax.nn.initializers``)    2·fan_in/(fan_in+fan_out)
``xavier_uniform``  U(−a, a), a = √(6/(fan_in+fan_out))          2·fan_in/(fan_in+fan_out)
``he_normal``       normal truncada, Var = 2/fan_in              2
``he_uniform``      U(−a, a), a = √(6/fan_in)                    2
``lecun_normal``    normal truncada, Var = 1/fan_in              1
``normal``          normal sin truncar, Var = 1/fan_in           1
``orthogonal``      matriz ortogonal (filas o columnas            1 si fan_in ≥ fan_out,
                    ortonormales), escala 1                      si no fan_in/fan_out
==================  ===========================================  ============================

Todas admiten ``gain``: los pesos se multiplican por ``gain`` y σ_w² por ``gain²``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from vgcourse._validation import check_choice, check_float, check_int, check_key

__all__ = ["INITIALIZERS", "INITIALIZER_NAMES", "init_weight", "sigma_w2"]

_JNI = jax.nn.initializers


def _standard(key: jax.Array, shape: tuple[int, int], dtype: jnp.dtype) -> jax.Array:
    limit = 1.0 / jnp.sqrt(jnp.asarray(shape[0], dtype))
    return jax.random.uniform(key, shape, dtype, minval=-limit, maxval=limit)


INITIALIZERS = {
    "standard": _standard,
    "xavier_normal": _JNI.glorot_normal(),
    "xavier_uniform": _JNI.glorot_uniform(),
    "he_normal": _JNI.he_normal(),
    "he_uniform": _JNI.he_uniform(),
    "lecun_normal": _JNI.lecun_normal(),
    "normal": _JNI.variance_scaling(1.0, "fan_in", "normal"),
    "orthogonal": _JNI.orthogonal(),
}

#: Nombres en español para textos y figuras.
INITIALIZER_NAMES = {
    "standard": "Estándar U(±1/√n)",
    "xavier_normal": "Xavier (normal)",
    "xavier_uniform": "Xavier (uniforme)",
    "he_normal": "He (normal)",
    "he_uniform": "He (uniforme)",
    "lecun_normal": "LeCun (normal)",
    "normal": "Normal N(0, 1/n)",
    "orthogonal": "Ortogonal",
}


def _check_init(name: str) -> str:
    """Valida un nombre de inicialización (si no existe, error en español con los válidos)."""
    return check_choice("init", name, INITIALIZERS)


def sigma_w2(init: str, fan_in: int, fan_out: int, gain: float = 1.0) -> float:
    """σ_w² = Var(W_ij)·fan_in de la inicialización ``init`` para una capa ``fan_in → fan_out``."""
    init = _check_init(init)
    fan_in = check_int("fan_in", fan_in)
    fan_out = check_int("fan_out", fan_out)
    gain = check_float("gain", gain, strictly_positive=True, maximum=1e3)
    base = {
        "standard": 1.0 / 3.0,
        "xavier_normal": 2.0 * fan_in / (fan_in + fan_out),
        "xavier_uniform": 2.0 * fan_in / (fan_in + fan_out),
        "he_normal": 2.0,
        "he_uniform": 2.0,
        "lecun_normal": 1.0,
        "normal": 1.0,
        "orthogonal": 1.0 if fan_in >= fan_out else fan_in / fan_out,
    }[init]
    return gain**2 * base


def init_weight(
    key: jax.Array,
    shape: tuple[int, int],
    *,
    init: str = "xavier_normal",
    gain: float = 1.0,
    dtype: jnp.dtype = jnp.float32,
) -> jax.Array:
    """Una matriz de pesos ``(fan_in, fan_out)`` con la inicialización ``init``.

    Args:
        key: clave de ``jax.random.key``.
        shape: ``(fan_in, fan_out)``.
        init: nombre de la inicialización (tabla del módulo).
        gain: factor que multiplica los pesos.
        dtype: tipo de dato de los pesos.
    """
    key = check_key("key", key)
    init = _check_init(init)
    if not (isinstance(shape, tuple) and len(shape) == 2):
        raise ValueError(f"`shape` debe ser una tupla (fan_in, fan_out); se recibió {shape!r}.")
    check_int("shape[0] (fan_in)", shape[0])
    check_int("shape[1] (fan_out)", shape[1])
    gain = check_float("gain", gain, strictly_positive=True, maximum=1e3)
    return gain * INITIALIZERS[init](key, shape, dtype)
