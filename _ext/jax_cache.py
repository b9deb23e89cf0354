"""Extensión local: caché persistente de compilaciones de JAX para los cuadernos del libro.

Varios capítulos compilan las mismas funciones con las mismas formas (las rejillas de los
exploradores de los capítulos 1, 2 y 4.2, por ejemplo), y las pruebas vuelven a ejecutar cada
capítulo con nbval justo después de construir el libro. Con ``JAX_COMPILATION_CACHE_DIR``, los
núcleos de los cuadernos (que heredan el entorno de este proceso) guardan en
``_build/jax_cache`` cada compilación de más de 0.1 s y la reutilizan después. Solo ahorra
tiempo: una compilación guardada es el mismo programa, con los mismos números, y sin la caché
(o con ella vacía) todo funciona igual. Si el entorno ya define esas variables, se respetan.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE = Path("_build") / "jax_cache"


def enable(root: Path) -> None:
    """Define las variables de la caché (si no lo están) para este proceso y sus hijos."""
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(Path(root).resolve() / CACHE))
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.1")


def setup(app):
    enable(Path(app.confdir))
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
