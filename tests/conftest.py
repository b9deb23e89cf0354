"""Configuración estricta de las pruebas.

- float64 activado para toda la sesión (como hacen los capítulos con ``vg.enable_x64()``);
- promoción de rango de ``jax.numpy`` convertida en error (ningún *broadcasting* silencioso);
- los avisos son errores (``filterwarnings = error`` en ``pyproject.toml``);
- las cachés de JAX se vacían al terminar cada módulo de pruebas: XLA en CPU reserva varias
  regiones de memoria por cada función compilada y no las suelta mientras la caché la guarda;
  con los miles de compilaciones de toda la suite, el proceso llegaba al límite de regiones del
  sistema (``vm.max_map_count`` = 65530) y XLA fallaba al compilar con una violación de segmento;
- la caché persistente de compilaciones de JAX del libro (``_build/jax_cache``) para los
  núcleos de nbval, solo para ganar tiempo: sin ella todo funciona igual;
- matplotlib sin pantalla, solo en este proceso: con ``matplotlib.use`` y no con la
  variable ``MPLBACKEND``, que heredarían los núcleos de nbval (y sus cuadernos dejarían
  de mostrar las figuras con el backend *inline*).

Las piezas compartidas (capítulos, activaciones en NumPy, contador de compilaciones) están
en ``helpers.py``.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import jax  # noqa: E402

# la caché de compilaciones del libro (_ext/jax_cache.py), después de importar JAX: la usan
# solo los núcleos de nbval (heredan el entorno), que reutilizan lo que ya compiló la
# construcción; este proceso no, porque varias pruebas cuentan compilaciones
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
import jax_cache  # noqa: E402

jax_cache.enable(Path(__file__).resolve().parents[1])
sys.path.pop(0)
import pytest  # noqa: E402

import vgcourse as vg  # noqa: E402
from helpers import NP_ACTIVATIONS  # noqa: E402

vg.enable_x64()
jax.config.update("jax_numpy_rank_promotion", "raise")


@pytest.fixture(scope="module", autouse=True)
def _fresh_jax_caches():
    yield
    jax.clear_caches()


@pytest.fixture
def np_activations():
    return NP_ACTIVATIONS
