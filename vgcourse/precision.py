"""Precisión numérica: float64 por defecto, float32 a petición.

Importar ``vgcourse`` no cambia la configuración de JAX. La doble precisión
(float64) necesita que JAX tenga activado ``jax_enable_x64``; se activa de forma
explícita con :func:`enable_x64` (una vez, al principio de un cuaderno) o solo
dentro de un bloque con el gestor de contexto :func:`float64`.

¿Por qué float64? Un gradiente que se divide entre 4 en cada capa vale unos 1e-60
tras 100 capas: en float64 (mínimo normal ≈ 2.2e-308) se mide; en float32 (mínimo normal
≈ 1.2e-38, y XLA en CPU convierte los subnormales en cero) se vuelve 0.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import jax

from vgcourse._precision import x64_enabled, x64_scope

__all__ = ["enable_x64", "float64", "x64_enabled"]


def enable_x64() -> None:
    """Activa float64 en JAX para toda la sesión (``jax_enable_x64 = True``).

    Es la llamada que hacen los capítulos en su celda de preparación. Equivale a
    ``jax.config.update("jax_enable_x64", True)``.
    """
    jax.config.update("jax_enable_x64", True)


@contextlib.contextmanager
def float64() -> Iterator[None]:
    """Gestor de contexto: float64 solo dentro del bloque ``with``.

    Ejemplo::

        with vgcourse.float64():
            res = vgcourse.layer_gradients(params, x, y, activation="sigmoid")
            normas = np.asarray(res.preact_norm)   # conviértelo dentro del bloque

    Los arreglos float64 creados dentro no deben mezclarse fuera con operaciones
    de ``jax.numpy`` (JAX los truncaría a float32): conviértelos a NumPy dentro.
    """
    with x64_scope():
        yield
