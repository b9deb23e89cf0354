"""Configuración estricta de las pruebas.

- float64 activado para toda la sesión (como hacen los capítulos con ``vg.enable_x64()``);
- promoción de rango de ``jax.numpy`` convertida en error (ningún *broadcasting* silencioso);
- los avisos son errores (``filterwarnings = error`` en ``pyproject.toml``);
- matplotlib sin pantalla, solo en este proceso: con ``matplotlib.use`` y no con la
  variable ``MPLBACKEND``, que heredarían los núcleos de nbval (y sus cuadernos dejarían
  de mostrar las figuras con el backend *inline*).
"""

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit, ndtr  # noqa: E402

import vgcourse as vg  # noqa: E402

vg.enable_x64()
jax.config.update("jax_numpy_rank_promotion", "raise")

SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _np_phi_dphi():
    """Activaciones y derivadas escritas a mano en NumPy: referencia independiente de jax.nn."""
    s = expit
    pdf = lambda x: np.exp(-0.5 * x**2) / np.sqrt(2 * np.pi)  # noqa: E731
    return {
        "sigmoid": (s, lambda x: s(x) * (1 - s(x))),
        "tanh": (np.tanh, lambda x: 4 * np.exp(-2 * np.abs(x)) / (1 + np.exp(-2 * np.abs(x))) ** 2),
        "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
        "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1.0, 0.01)),
        "elu": (lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
                lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
        "gelu": (lambda x: x * ndtr(x), lambda x: ndtr(x) + x * pdf(x)),
        "selu": (lambda x: SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
                 lambda x: SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))),
        "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
        "silu": (lambda x: x * s(x), lambda x: s(x) * (1 + x * (1 - s(x)))),
        "identity": (lambda x: x, lambda x: np.ones_like(x)),
    }


NP_ACTIVATIONS = _np_phi_dphi()
ALL_ACTIVATIONS = tuple(vg.ACTIVATIONS)


@pytest.fixture
def np_activations():
    return NP_ACTIVATIONS
