"""Softmax and the softmax cross-entropy loss with its gradient.

Both subtract each row's maximum before exponentiating: softmax is unchanged by
adding a constant to a row, and afterwards the largest exponent is ``exp(0) = 1``,
so nothing overflows; the loss is computed from log-probabilities, so a
probability that underflows to 0 never reaches ``log``.
"""

from __future__ import annotations

import numpy as np

from cnnkit._validate import as_array

__all__ = ["softmax", "softmax_cross_entropy"]


def _log_softmax(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(scores):
    """Probabilities ``exp(s_k) / sum_j exp(s_j)`` along the last axis, numerically stable.

    Parameters
    ----------
    scores : ndarray of shape (N, K) (or any shape; normalized over the last axis)
        Unnormalized class scores (logits).

    Returns
    -------
    probs : ndarray, same shape and dtype as ``scores``
        Non-negative, each row sums to 1.
    """
    scores = as_array("scores", scores)
    if scores.ndim == 0:
        raise ValueError("scores must have at least 1 dimension (classes on the last axis)")
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(scores, y):
    """Mean cross-entropy of softmax probabilities against integer labels.

    ``loss = -mean_n log softmax(scores)[n, y[n]]`` and
    ``dscores = (softmax(scores) - onehot(y)) / N``.

    Parameters
    ----------
    scores : ndarray of shape (N, K)
        Class scores (logits) for N examples and K classes.
    y : ndarray of int, shape (N,)
        Correct class of each example, in ``0 .. K-1``.

    Returns
    -------
    loss : float
        Mean over the batch.
    dscores : ndarray of shape (N, K)
        Gradient of ``loss`` with respect to ``scores``; same dtype as ``scores``.
    """
    scores = as_array("scores", scores, ndim=2, layout="(N, K)")
    N, K = scores.shape
    y = np.asarray(y)
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"y must be an array of integer class labels, got dtype {y.dtype}")
    if y.shape != (N,):
        raise ValueError(f"y must have shape (N,)=({N},) to match scores, got {y.shape}")
    if N == 0:
        raise ValueError("scores must hold at least one example, got N=0")
    if y.min() < 0 or y.max() >= K:
        raise ValueError(
            f"y must hold class labels in 0..{K - 1} (K={K} columns in scores), "
            f"got values in {y.min()}..{y.max()}"
        )
    logp = _log_softmax(scores)
    rows = np.arange(N)
    loss = -float(logp[rows, y].mean(dtype=np.float64))
    dscores = np.exp(logp)
    dscores[rows, y] -= 1
    dscores /= N
    return loss, dscores
