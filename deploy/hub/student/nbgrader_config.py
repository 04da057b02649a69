"""nbgrader for a student's JupyterLab on the course hub: the course and its exchange."""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "cnn-course"
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
# The hub's login names the student (the Unix user too, where each user has an account;
# the test's servers all run as one user).
c.CourseDirectory.student_id = os.environ.get("JUPYTERHUB_USER", "*")
