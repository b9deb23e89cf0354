"""Internos de precisión compartidos por los módulos del paquete (no es API pública).

El tipo de dato de cada función pública (``dtype``), el umbral de *underflow* y un
contexto de float64 local. La API pública está en :mod:`vgcourse.precision`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._validation import check_choice

DTYPES = ("float64", "float32")

#: Margen sobre el mínimo normal por debajo del cual una capa se marca como
#: desbordada por abajo (*underflow*): si el mayor valor absoluto de su gradiente
#: es menor que ``UNDERFLOW_MARGIN * finfo(dtype).tiny``, sus componentes típicas ya
#: rozan el mínimo representable y la norma deja de ser una medida fiable.
UNDERFLOW_MARGIN = 2.0**20


def x64_scope(enabled: bool = True):
    """Contexto de JAX que activa (o desactiva) float64 solo dentro del bloque.

    Usa ``jax.enable_x64`` y, en versiones de JAX que no lo tienen, su equivalente de
    ``jax.experimental``.
    """
    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(enabled)
    from jax import experimental  # jax < 0.6

    return experimental.enable_x64() if enabled else experimental.disable_x64()


def x64_enabled() -> bool:
    """``True`` si JAX admite float64 en este momento."""
    return bool(jax.config.jax_enable_x64)


def backend_supports_float64() -> bool:
    """``False`` en backends sin float64 nativo (TPU); ``True`` en CPU y GPU."""
    return jax.default_backend() != "tpu"


def resolve_dtype(dtype: str | None) -> jnp.dtype:
    """Traduce el argumento ``dtype`` de las funciones públicas a un tipo de JAX.

    ``None`` significa float64 donde el backend lo admite (CPU, GPU) y float32
    en TPU. Pedir float64 sin haber activado x64 produce un error que explica cómo
    activarlo.
    """
    if dtype is None:
        dtype = "float64" if backend_supports_float64() else "float32"
    if isinstance(dtype, (np.dtype, type)):
        dtype = np.dtype(dtype).name
    dtype = check_choice("dtype", dtype, DTYPES)
    if dtype == "float64":
        if not backend_supports_float64():
            raise ValueError(
                "`dtype` = 'float64' no está disponible en este backend "
                f"({jax.default_backend()}); usa dtype='float32'."
            )
        if not x64_enabled():
            raise ValueError(
                "`dtype` = 'float64' (el valor por defecto) necesita la doble precisión de JAX, "
                "que está desactivada. Llama antes a `vgcourse.enable_x64()`, o trabaja dentro de "
                "`with vgcourse.float64():`, o pide `dtype='float32'` (con riesgo de underflow)."
            )
        return jnp.dtype(jnp.float64)
    return jnp.dtype(jnp.float32)


def underflow_threshold(dtype: jnp.dtype) -> float:
    """Umbral de *underflow* para ``dtype``: ``UNDERFLOW_MARGIN`` veces el mínimo normal."""
    return float(UNDERFLOW_MARGIN * np.finfo(np.dtype(dtype)).tiny)
