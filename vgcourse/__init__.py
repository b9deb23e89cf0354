"""vgcourse: el motor numérico del curso «El problema del gradiente de fuga».

Gradientes exactos capa por capa (``jax.grad`` bajo ``jax.jit``), estadísticas
por capa, barridos sobre semillas y profundidades, teoría de campo medio y
figuras. Importar el paquete no cambia ninguna configuración global: para
trabajar en float64 (la precisión por defecto), llama antes a :func:`enable_x64` o usa
``with vgcourse.float64():``.

Ejemplo::

    import jax, vgcourse as vg
    vg.enable_x64()
    params, x, y = vg.problem(0, depth=30, width=64, n_in=64, batch=128, init="xavier_normal")
    g = vg.layer_gradients(params, x, y, activation="sigmoid")
    g.preact_norm      # ‖∂L/∂Z_l‖ por capa; índice 0 = capa 1, junto a la entrada
"""

from vgcourse.activations import (
    ACTIVATIONS,
    Activation,
    activation_curves,
    derivative,
    get_activation,
    saturation_bounds,
)
from vgcourse.chain import chain_forward, chain_grad
from vgcourse.datasets import Dataset, load_digits
from vgcourse.exercises import check
from vgcourse.explorer import EXPLORER_ACTIVATIONS, ExplorerResult, GradientExplorer
from vgcourse.gradients import (
    LayerGradients,
    LayerStatistics,
    gradient_histograms,
    jacobian_spectrum,
    layer_gradients,
    layer_statistics,
)
from vgcourse.initializers import INITIALIZER_NAMES, INITIALIZERS, init_weight, sigma_w2
from vgcourse.networks import (
    depth_of,
    forward,
    init_mlp,
    layers_from_params,
    params_from_layers,
    random_batch,
)
from vgcourse.precision import enable_x64, float64, x64_enabled
from vgcourse.report import glue, html_table
from vgcourse.sweeps import SweepResult, gradient_sweep, problem
from vgcourse.theory import (
    batchnorm_chi1,
    chi1,
    critical_sigma_w2,
    depth_scale,
    fixed_point_q,
    phase_diagram,
    q_sequence,
    variance_map,
)
from vgcourse.training import GridResult, TrainingHistory, train, train_lr_grid

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "EXPLORER_ACTIVATIONS",
    "INITIALIZERS",
    "INITIALIZER_NAMES",
    "Activation",
    "Dataset",
    "ExplorerResult",
    "GridResult",
    "GradientExplorer",
    "LayerGradients",
    "LayerStatistics",
    "SweepResult",
    "TrainingHistory",
    "activation_curves",
    "batchnorm_chi1",
    "chain_forward",
    "check",
    "chain_grad",
    "chi1",
    "critical_sigma_w2",
    "depth_of",
    "depth_scale",
    "derivative",
    "enable_x64",
    "fixed_point_q",
    "float64",
    "forward",
    "get_activation",
    "glue",
    "gradient_histograms",
    "gradient_sweep",
    "html_table",
    "init_mlp",
    "jacobian_spectrum",
    "init_weight",
    "layer_gradients",
    "layer_statistics",
    "layers_from_params",
    "load_digits",
    "params_from_layers",
    "phase_diagram",
    "problem",
    "q_sequence",
    "random_batch",
    "saturation_bounds",
    "sigma_w2",
    "train",
    "train_lr_grid",
    "variance_map",
    "x64_enabled",
]
