"""Las convenciones escritas en la documentación bastan para reproducir los números:
una implementación independiente en NumPy, escrita solo a partir de ellas, da la misma
salida, la misma pérdida y (por diferencias finitas) los mismos gradientes."""

import numpy as np
import pytest
from helpers import NP_ACTIVATIONS

import vgcourse as vg


def numpy_forward(layers, readout, x, activation, residual=False, alpha=1.0, batchnorm=False,
                  shift=None):
    """Red de vgcourse.networks, escrita en NumPy a partir de su docstring.

    ``residual``: ``False``, ``"linear"`` (el bloque estándar) o ``"activation"``.
    ``shift``: ``(capa, Δ)`` para sumar Δ a lo que el módulo llama «el gradiente de la capa»:
    la preactivación z de esa capa en la red simple, el tronco h en las residuales.
    """
    where, delta = shift if shift is not None else (0, 0.0)
    phi = NP_ACTIVATIONS[activation][0]

    def bn(u):
        return (u - u.mean(axis=0)) / np.sqrt(u.var(axis=0) + 1e-5) if batchnorm else u

    h = x
    for index, layer in enumerate(layers, start=1):
        d = delta if index == where else 0.0
        if residual == "linear" and index >= 2:
            h = h + alpha * (phi(bn(h)) @ layer["W"] + layer["b"]) + d
        elif residual == "activation" and index >= 2:
            h = h + alpha * phi(bn(h @ layer["W"]) + layer["b"]) + d
        elif residual == "linear":  # capa 1 del bloque estándar: lineal, abre el tronco
            h = bn(h @ layer["W"]) + layer["b"] + d
        elif residual:  # capa 1 con la rama que termina en la activación
            h = phi(bn(h @ layer["W"]) + layer["b"]) + d
        else:
            h = phi(bn(h @ layer["W"]) + layer["b"] + d)
    return h @ readout["W"] + readout["b"]


def numpy_loss(out, y, loss):
    if loss == "mse":
        return np.mean(0.5 * np.sum((out - y) ** 2, axis=1))
    log_softmax = out - out.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    return -np.mean(np.sum(y * log_softmax, axis=1))


ARCHS = [
    dict(),
    dict(residual="linear", alpha=0.6),
    dict(residual="activation", alpha=0.6),
    dict(batchnorm=True),
    dict(residual="linear", alpha=0.3, batchnorm=True),
    dict(residual="activation", alpha=0.3, batchnorm=True),
]


@pytest.mark.parametrize("arch", ARCHS, ids=["simple", "residual", "residual_activacion",
                                             "batchnorm", "residual+bn", "residual_activacion+bn"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "selu", "silu"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_independent_numpy_implementation_reproduces_the_numbers(activation, arch, loss):
    params, x, y = vg.problem(4, depth=5, width=7, n_in=3, n_out=4, batch=9,
                              init="xavier_uniform", bias_std=0.2)
    x, y = np.asarray(x), np.asarray(y)
    if loss == "cross_entropy":
        y = np.exp(y) / np.exp(y).sum(axis=1, keepdims=True)
    layers = [{k: np.asarray(v) for k, v in layer.items()} for layer in vg.layers_from_params(params)]
    readout = {k: np.asarray(v) for k, v in params["readout"].items()}
    kw = dict(residual=arch.get("residual", False), residual_scale=arch.get("alpha", 1.0),
              batchnorm=arch.get("batchnorm", False))
    out_np = numpy_forward(layers, readout, x, activation, arch.get("residual", False),
                           arch.get("alpha", 1.0), arch.get("batchnorm", False))
    np.testing.assert_allclose(vg.forward(params, x, activation=activation, **kw), out_np, rtol=1e-12, atol=1e-14)
    res = vg.layer_gradients(params, x, y, activation=activation, loss=loss, **kw)
    assert float(res.loss) == pytest.approx(numpy_loss(out_np, y, loss), rel=1e-12)
    # ∂L/∂W de cada capa, entrada a entrada, por diferencias centrales sobre la versión NumPy
    h = 1e-6
    for index in (0, 2, 4):
        W = layers[index]["W"]
        grad = np.zeros_like(W)
        for i, j in np.ndindex(*W.shape):
            for sign in (1, -1):
                shifted = [dict(layer) for layer in layers]
                Wp = W.copy()
                Wp[i, j] += sign * h
                shifted[index]["W"] = Wp
                val = numpy_loss(numpy_forward(shifted, readout, x, activation, arch.get("residual", False),
                                               arch.get("alpha", 1.0), arch.get("batchnorm", False)), y, loss)
                grad[i, j] += sign * val / (2 * h)
        assert float(res.weight_norm[index]) == pytest.approx(np.linalg.norm(grad), rel=1e-6)


@pytest.mark.parametrize("arch", ARCHS, ids=["simple", "residual", "residual_activacion",
                                             "batchnorm", "residual+bn", "residual_activacion+bn"])
def test_the_gradient_of_a_layer_is_the_documented_one(arch):
    """``preact_grads[l]`` es ∂L/∂z_l en la red simple y ∂L/∂h_l (el tronco) en las residuales:
    la derivada direccional por diferencias centrales sobre la versión NumPy lo confirma."""
    params, x, y = vg.problem(2, depth=4, width=6, n_in=3, n_out=2, batch=5,
                              init="he_normal", bias_std=0.1)
    x, y = np.asarray(x), np.asarray(y)
    layers = [{k: np.asarray(v) for k, v in layer.items()} for layer in vg.layers_from_params(params)]
    readout = {k: np.asarray(v) for k, v in params["readout"].items()}
    opts = (arch.get("residual", False), arch.get("alpha", 1.0), arch.get("batchnorm", False))
    res = vg.layer_gradients(params, x, y, activation="tanh", return_arrays=True,
                             residual=opts[0], residual_scale=opts[1], batchnorm=opts[2])
    rng = np.random.default_rng(0)
    for layer in (1, 3, 4):
        d = rng.standard_normal((5, 6))
        eps = 1e-6
        f = lambda s: numpy_loss(numpy_forward(layers, readout, x, "tanh", *opts,  # noqa: E731
                                               shift=(layer, s * d)), y, "mse")
        fd = (f(eps) - f(-eps)) / (2 * eps)
        assert float(np.sum(np.asarray(res.preact_grads[layer - 1]) * d)) == pytest.approx(fd, rel=1e-6)
