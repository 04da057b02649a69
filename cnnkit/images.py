"""Images for the demos: a real photograph and small synthetic ones."""

from __future__ import annotations

import numpy as np

from cnnkit._validate import check_int


def sample_photo(max_size=160):
    """Grace Hopper's portrait, bundled with matplotlib, as a grayscale float image.

    Parameters
    ----------
    max_size : int
        The longer side is reduced (by averaging whole blocks of pixels) to at most
        this many pixels, so that loop-based student code stays fast.

    Returns
    -------
    ndarray of shape (H, W), float64 in [0, 1]
    """
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg

    max_size = check_int("max_size", max_size, minimum=8)
    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        rgb = mpimg.imread(fh, format="jpg").astype(np.float64) / 255.0
    # ITU-R BT.601 luma: the usual weights for converting RGB to gray.
    gray = rgb[..., :3] @ np.array([0.299, 0.587, 0.114])
    factor = max(1, int(np.ceil(max(gray.shape) / max_size)))
    H, W = (gray.shape[0] // factor) * factor, (gray.shape[1] // factor) * factor
    gray = gray[:H, :W].reshape(H // factor, factor, W // factor, factor).mean(axis=(1, 3))
    return gray


def step_image(size=6, bright=10.0, dark=0.0, vertical=True):
    """The classic light/dark step: left half bright, right half dark (or top/bottom).

    ``step_image()`` is the 6×6 example of Andrew Ng's course, whose vertical-edge
    response is ``[[0, 30, 30, 0]] * 4``.

    Returns
    -------
    ndarray of shape (size, size), float64
    """
    size = check_int("size", size, minimum=2)
    image = np.full((size, size), float(dark))
    if vertical:
        image[:, : size // 2] = bright
    else:
        image[: size // 2, :] = bright
    return image
