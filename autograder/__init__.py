"""Grading side of the CNN course: shared checks, reference implementations, hidden
tests and the instructor commands (``python -m autograder --help``)."""
