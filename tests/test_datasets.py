"""Los dígitos de scikit-learn: estandarizados, deterministas y en one-hot."""

import numpy as np
import pytest

import vgcourse as vg


def test_digits_are_standardized_deterministic_and_one_hot():
    pytest.importorskip("sklearn")
    a, b = vg.load_digits(seed=0), vg.load_digits(seed=0)
    c = vg.load_digits(seed=1)
    assert a.x_train.shape == (1438, 64) and a.x_test.shape == (359, 64)
    assert a.y_train.shape == (1438, 10)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    np.testing.assert_allclose(np.sum(a.y_train, axis=1), 1)
    x = np.asarray(a.x_train)
    used = x.std(axis=0) > 0
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x[:, used].std(axis=0), 1, rtol=1e-12)
