"""nbgrader for an instructor's JupyterLab on the course hub: the course's own
configuration (autograder/nbgrader_config.py), its directory and the exchange."""

import os
from pathlib import Path

c = get_config()  # noqa: F821

load_subconfig(str(Path(__file__).resolve().parents[3] / "autograder" / "nbgrader_config.py"))  # noqa: F821
c.CourseDirectory.root = os.environ.get("COURSE_DIR", "/home/instructor/course")
c.CourseDirectory.course_id = "cnn-course"
c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
