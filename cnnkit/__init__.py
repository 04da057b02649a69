"""cnnkit: helpers for the CNN course (data, plots, widgets, gradient checks, fast layers).

Import what you need from its modules, e.g. ``from cnnkit.gradcheck import rel_error``.
cnnkit never holds the answer to an exercise you have not reached yet.
"""

__version__ = "0.1.0"
