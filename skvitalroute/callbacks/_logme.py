"""LogME: the log marginal evidence of labels given features (You et al., 2021).

One job: how well a Bayesian linear model on fixed features explains the
labels, the transferability score the transfer tactic ranks parents by
(docs/tactics.md, "Transfer warm-start").

Reference: K. You, Y. Liu, J. Wang and M. Long, "LogME: Practical
Assessment of Pre-trained Models for Transfer Learning", ICML 2021
(Algorithm 1); the fixed-point form of the same iteration is in K. You et
al., "Ranking and Tuning Pre-trained Models: A New Paradigm for Exploiting
Model Hubs", JMLR 23 (2022), section 3.
"""

import numpy as np

#: Added to the two sums of squares, as in the authors' implementation.
_EPS = 1e-5


def logme(features, y, *, max_iter=100, tol=1e-3):
    """Mean per-row log evidence of the one-hot labels given ``features``.

    For each class ``k`` the one-hot column ``t = [y == k]`` is modelled as
    ``t = F w + noise`` with the prior ``w ~ N(0, I / alpha)`` and the noise
    ``N(0, 1 / beta)``. ``alpha`` and ``beta`` maximise the evidence
    ``p(t | F, alpha, beta)`` by MacKay's fixed-point iteration:

    ``gamma = sum_i beta s_i / (alpha + beta s_i)``,
    ``m = beta A^-1 F^T t`` with ``A = alpha I + beta F^T F``,
    ``alpha <- gamma / |m|^2``, ``beta <- (n - gamma) / |t - F m|^2``,

    until ``alpha / beta`` moves by less than ``tol`` (relative). The score is
    the maximised log evidence

    ``D/2 log alpha + n/2 log beta - n/2 log 2 pi - beta/2 |t - F m|^2
    - alpha/2 |m|^2 - 1/2 log det A``

    divided by ``n`` and averaged over the classes. ``s_i`` are the
    eigenvalues of ``F^T F`` (the squared singular values of ``F``; the
    ``D - rank`` zero ones add ``log alpha`` each to ``log det A``).
    Higher is better; scores are comparable across feature sets for the
    same labels.

    Parameters
    ----------
    features : array-like of shape (n_samples, n_features)
        Fixed features (e.g. a network's last hidden layer), used as given.
    y : array-like of shape (n_samples,)
        Class labels (at least two classes).
    max_iter : int, default=100
        Most fixed-point iterations per class (the authors' code stops at
        11; it typically converges in 2-3).
    tol : float, default=1e-3
        Relative change of ``alpha / beta`` that stops the iteration.

    Returns
    -------
    score : float
        Mean log evidence per row and class.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 50)
    >>> informative = np.c_[y + 0.1 * rng.normal(size=100), rng.normal(size=100)]
    >>> noise = rng.normal(size=(100, 2))
    >>> bool(logme(informative, y) > logme(noise, y))
    True
    """
    F = np.asarray(features, dtype=np.float64)
    y = np.asarray(y)
    n, d = F.shape
    u, s, _ = np.linalg.svd(F, full_matrices=False)
    # numerically zero directions are outside F's span (they add log alpha)
    keep = s > (s.max(initial=0.0) * max(n, d) * np.finfo(np.float64).eps)
    u, sigma = u[:, keep], s[keep] ** 2
    scores = []
    for k in np.unique(y):
        t = (y == k).astype(np.float64)
        x = u.T @ t  # t in the basis of F's left singular vectors
        rest = max(float(t @ t - x @ x), 0.0)  # |t|^2 outside F's span
        if not len(sigma):  # features carry nothing: m = 0, only the noise
            beta = n / (rest + _EPS)
            scores.append(
                (np.log(beta) - np.log(2 * np.pi) - beta * (rest + _EPS) / n) / 2
            )
            continue
        alpha, beta = 1.0, 1.0
        for _ in range(max_iter):
            ratio = alpha / beta
            gamma = float(np.sum(beta * sigma / (alpha + beta * sigma)))
            m2 = float(np.sum(beta**2 * sigma * x**2 / (alpha + beta * sigma) ** 2))
            res2 = float(np.sum((alpha * x / (alpha + beta * sigma)) ** 2)) + rest
            alpha = gamma / (m2 + _EPS)
            beta = (n - gamma) / (res2 + _EPS)
            if abs(alpha / beta - ratio) / ratio < tol:
                break
        # m and the residual at the final alpha, beta
        m2 = float(np.sum(beta**2 * sigma * x**2 / (alpha + beta * sigma) ** 2))
        res2 = float(np.sum((alpha * x / (alpha + beta * sigma)) ** 2)) + rest
        logdet = float(np.sum(np.log(alpha + beta * sigma)))
        logdet += (d - len(sigma)) * np.log(alpha)
        evidence = (
            d / 2 * np.log(alpha)
            + n / 2 * np.log(beta)
            - n / 2 * np.log(2 * np.pi)
            - beta / 2 * (res2 + _EPS)
            - alpha / 2 * (m2 + _EPS)
            - logdet / 2
        )
        scores.append(evidence / n)
    return float(np.mean(scores))
