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

# Regla de visibilidad (la comprueba tests/test_layering.py):
# - los módulos de cálculo (estos diecisiete) no importan matplotlib, Bokeh ni ipywidgets, y su
#   ``__all__`` es exactamente lo que el paquete reexporta aquí;
# - los de presentación (plots, animation, charts, widgets) se importan aparte, como
#   ``vgcourse.plots``, para que importar el paquete no cargue matplotlib;
# - lo que varios módulos comparten sin ser API pública vive en módulos privados
#   (_core, _precision, _validation, _plotting), y ningún nombre que empiece por «_» se
#   importa desde otro módulo.
from vgcourse.ablation import (
    BASELINE,
    RATES,
    STEPS,
    VARIANTS,
    Variant,
    baseline_params,
    initial_gradients,
    search_learning_rate,
    search_learning_rates,
    train_variant,
)
from vgcourse.activations import (
    ACTIVATIONS,
    Activation,
    activation_curves,
    derivative,
    get_activation,
    saturated_mask,
    saturation_bounds,
)
from vgcourse.chain import (
    chain_forward,
    chain_grad,
)
from vgcourse.concurrency import (
    parallel_map,
)
from vgcourse.datasets import (
    Dataset,
    load_digits,
)
from vgcourse.exercises import (
    EXERCISES,
    Exercise,
    Feedback,
    Tolerance,
    check,
    parse_answer,
)
from vgcourse.explorer import (
    EXPLORER_ACTIVATIONS,
    EXPLORER_INITS,
    ExplorerGrid,
    ExplorerResult,
    GradientExplorer,
    GridProfile,
    explorer_grid,
)
from vgcourse.gradients import (
    LayerGradients,
    LayerStatistics,
    gradient_histograms,
    jacobian_spectrum,
    layer_gradients,
    layer_slope,
    layer_statistics,
    weight_gradient_coherence,
)
from vgcourse.initializers import (
    INITIALIZERS,
    INITIALIZER_NAMES,
    init_weight,
    sigma_w2,
)
from vgcourse.networks import (
    NetworkOptions,
    Params,
    depth_of,
    forward,
    hidden_states,
    init_mlp,
    layers_from_params,
    params_from_layers,
    random_batch,
)
from vgcourse.precision import (
    enable_x64,
    float64,
    x64_enabled,
)
from vgcourse.recurrent import (
    CELLS,
    RecurrentStates,
    TimeGradients,
    adding_problem,
    init_recurrent,
    recurrent_forward,
    recurrent_loss,
    recurrent_problem,
    time_gradients,
    time_profile,
)
from vgcourse.recurrent_training import (
    ADDING_BASELINE,
    OPTIMIZERS,
    AddingHistory,
    train_adding,
    train_adding_cells,
)
from vgcourse.report import (
    glue,
    html_table,
    is_numeric_text,
    math_table,
    mean_field_table,
    power_of_ten,
)
from vgcourse.sweeps import (
    SweepResult,
    gradient_sweep,
    problem,
)
from vgcourse.theory import (
    ResidualTheory,
    batchnorm_chi1,
    chi1,
    critical_sigma_w2,
    depth_scale,
    fixed_point_q,
    gaussian_expectation,
    gradient_slope,
    phase_diagram,
    q_sequence,
    residual_theory,
    variance_map,
)
from vgcourse.training import (
    GridResult,
    TrainingHistory,
    TrainingOptions,
    train,
    train_lr_grid,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "ADDING_BASELINE",
    "Activation",
    "AddingHistory",
    "BASELINE",
    "CELLS",
    "Dataset",
    "EXERCISES",
    "EXPLORER_ACTIVATIONS",
    "EXPLORER_INITS",
    "Exercise",
    "ExplorerGrid",
    "ExplorerResult",
    "Feedback",
    "GradientExplorer",
    "GridProfile",
    "GridResult",
    "INITIALIZERS",
    "INITIALIZER_NAMES",
    "LayerGradients",
    "LayerStatistics",
    "NetworkOptions",
    "OPTIMIZERS",
    "Params",
    "RATES",
    "RecurrentStates",
    "ResidualTheory",
    "STEPS",
    "SweepResult",
    "TimeGradients",
    "Tolerance",
    "TrainingHistory",
    "TrainingOptions",
    "VARIANTS",
    "Variant",
    "activation_curves",
    "adding_problem",
    "baseline_params",
    "batchnorm_chi1",
    "chain_forward",
    "chain_grad",
    "check",
    "chi1",
    "critical_sigma_w2",
    "depth_of",
    "depth_scale",
    "derivative",
    "enable_x64",
    "explorer_grid",
    "fixed_point_q",
    "float64",
    "forward",
    "gaussian_expectation",
    "get_activation",
    "glue",
    "gradient_histograms",
    "gradient_slope",
    "gradient_sweep",
    "hidden_states",
    "html_table",
    "init_mlp",
    "init_recurrent",
    "init_weight",
    "initial_gradients",
    "is_numeric_text",
    "jacobian_spectrum",
    "layer_gradients",
    "layer_slope",
    "layer_statistics",
    "layers_from_params",
    "load_digits",
    "math_table",
    "mean_field_table",
    "parallel_map",
    "params_from_layers",
    "parse_answer",
    "phase_diagram",
    "power_of_ten",
    "problem",
    "q_sequence",
    "random_batch",
    "recurrent_forward",
    "recurrent_loss",
    "recurrent_problem",
    "residual_theory",
    "saturated_mask",
    "saturation_bounds",
    "search_learning_rate",
    "search_learning_rates",
    "sigma_w2",
    "time_gradients",
    "time_profile",
    "train",
    "train_adding",
    "train_adding_cells",
    "train_lr_grid",
    "train_variant",
    "variance_map",
    "weight_gradient_coherence",
    "x64_enabled",
]
