"""Conjuntos de datos pequeños incluidos en las bibliotecas (sin descargas): los dígitos de scikit-learn."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from vgcourse._validation import check_float, check_int
from vgcourse._precision import resolve_dtype

__all__ = ["Dataset", "load_digits"]


class Dataset(NamedTuple):
    """Un conjunto de entrenamiento y uno de prueba. ``y`` en *one-hot* ``(B, clases)``."""

    x_train: jax.Array
    y_train: jax.Array
    x_test: jax.Array
    y_test: jax.Array


def load_digits(*, seed: int = 0, test_fraction: float = 0.2, dtype: str | None = None) -> Dataset:
    """Los 1797 dígitos manuscritos de 8×8 píxeles de scikit-learn (incluidos en scikit-learn).

    Cada imagen es un vector de 64 valores; cada píxel se centra y se escala con la media
    y la desviación típica del conjunto de entrenamiento. La partición es una permutación
    de ``jax.random.key(seed)``.

    Args:
        seed: semilla de la partición entrenamiento/prueba.
        test_fraction: fracción de ejemplos de prueba (0 < f ≤ 0.9).
        dtype: ``"float64"`` (por defecto) o ``"float32"``.

    Returns:
        Un :class:`Dataset` con ``x`` de forma ``(B, 64)`` e ``y`` de forma ``(B, 10)``.
    """
    seed = check_int("seed", seed, minimum=0)
    test_fraction = check_float("test_fraction", test_fraction, strictly_positive=True, maximum=0.9)
    dt = resolve_dtype(dtype)
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as err:  # pragma: no cover - depende del entorno
        raise ImportError(
            "Los dígitos vienen de scikit-learn, que no está instalado: "
            "instálalo con `pip install scikit-learn`."
        ) from err
    images, labels = _sk_load_digits(return_X_y=True)
    order = np.asarray(jax.random.permutation(jax.random.key(seed), labels.shape[0]))
    n_test = int(round(test_fraction * labels.shape[0]))
    test, train = order[:n_test], order[n_test:]
    x = images.astype(np.float64)
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    std = np.where(std > 0, std, 1.0)  # píxeles del borde siempre a 0
    x = (x - mean) / std
    y = np.eye(10)[labels]
    as_jax = lambda a: jnp.asarray(a, dt)  # noqa: E731
    return Dataset(as_jax(x[train]), as_jax(y[train]), as_jax(x[test]), as_jax(y[test]))
