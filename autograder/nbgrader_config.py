"""nbgrader configuration for the CNN course.

The instructor commands in ``python -m autograder`` pass this file to every nbgrader
call, with the course directory as ``CourseDirectory.root``; see README.md.
"""

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "cnn-course"

# The stub students see in place of each solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Per-cell limit during autograding; chapter notebooks keep graded work in
# small cells and switch long demos to a short mode under NBGRADER_EXECUTION.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True

# A runaway print loop in a submission must not bloat the gradebook or feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60
