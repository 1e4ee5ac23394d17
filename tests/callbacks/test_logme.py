"""LogME (You et al., 2021): the closed form against the authors' algorithm."""

import numpy as np
import pytest

from skvitalroute.callbacks._logme import logme


def _authors_icml(F, y, tol=1e-3):
    """The authors' ICML-2021 iteration (eigendecomposition of F^T F), transcribed."""
    n, d = F.shape
    v, s, vh = np.linalg.svd(F.T @ F, full_matrices=True)
    out = []
    for k in np.unique(y):
        t = (y == k).astype(float)
        alpha, beta, lam = 1.0, 1.0, 1.0
        tmp = vh @ (F.T @ t)
        for _ in range(100):
            gamma = (s / (s + lam)).sum()
            m = v @ (tmp * beta / (alpha + beta * s))
            alpha = gamma / ((m * m).sum() + 1e-5)
            beta = (n - gamma) / (((t - F @ m) ** 2).sum() + 1e-5)
            new = alpha / beta
            if abs(new - lam) / lam < tol:
                break
            lam = new
        m = v @ (tmp * beta / (alpha + beta * s))
        res2, m2 = ((t - F @ m) ** 2).sum() + 1e-5, (m * m).sum() + 1e-5
        evidence = (
            d / 2 * np.log(alpha)
            + n / 2 * np.log(beta)
            - 0.5 * np.sum(np.log(alpha + beta * s))
            - beta / 2 * res2
            - alpha / 2 * m2
            - n / 2 * np.log(2 * np.pi)
        )
        out.append(evidence / n)
    return float(np.mean(out))


@pytest.mark.parametrize("n, d", [(40, 64), (200, 10), (30, 30)])
def test_logme_matches_the_authors_iteration(n, d):
    """Check the thin-SVD form against the full D x D form, with n < d too."""
    rng = np.random.default_rng(n + d)
    y = rng.integers(0, 3, n)
    F = rng.normal(size=(n, d))
    F[:, 0] += 2 * y
    assert logme(F, y) == pytest.approx(_authors_icml(F, y), abs=1e-6)


def test_logme_ranks_informative_features_first():
    """Check informative > noise, label names do not matter, zeros are finite."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 30)
    good = np.c_[
        np.eye(3)[y] + 0.2 * rng.normal(size=(90, 3)), rng.normal(size=(90, 5))
    ]
    noise = rng.normal(size=(90, 8))
    assert logme(good, y) > logme(noise, y)
    assert logme(good, np.array(["a", "b", "c"])[y]) == pytest.approx(logme(good, y))
    empty = logme(np.zeros((90, 8)), y)  # dead features: the labels' noise only
    assert np.isfinite(empty) and empty < logme(noise, y)
