"""nbgrader configuration for the CNN course.

The instructor commands in ``python -m autograder`` pass this file to every nbgrader
call, with the course directory as ``CourseDirectory.root``; see README.md.
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)

from autograder.course import CODE_STUB, TEXT_STUB
from autograder.feedback import NBGRADER_TEMPLATES, TEMPLATES, FeedbackExporter
from autograder.judged_execute import JudgedExecute

c = get_config()  # noqa: F821  (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "cnn-course"

# The stub students see in place of each solution.
c.ClearSolutions.code_stub = CODE_STUB
c.ClearSolutions.text_stub = TEXT_STUB

# Grading: nbgrader's own steps, except that execution is the judge's. Student cells run
# in a bubblewrap sandbox, test cells in the judge (see autograder/judged_execute.py),
# so a grade cell's outputs, and so its score, come from the judge alone.
c.Autograde.autograde_preprocessors = [
    JudgedExecute,
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadata,
]

# Per-cell limit during autograding; chapter notebooks keep graded work in
# small cells and switch long demos to a short mode under NBGRADER_EXECUTION.
c.JudgedExecute.cell_timeout = 120
c.JudgedExecute.check_timeout = 300

# A runaway print loop in a submission must not bloat the gradebook or feedback.
c.LimitOutput.max_lines = 200
c.LimitOutput.max_traceback = 60

# Feedback: formulas typeset when the page is made (no MathJax CDN at view time) and each
# check named in the score list (autograder/feedback/). Set on the course's exporter class
# only: Formgrader's own HTML exporter keeps its templates. nbgrader's feedback template
# stays on the template path, since the course's extends it.
c.GenerateFeedback.exporter_class = FeedbackExporter
c.FeedbackExporter.template_name = "cnn_feedback"
c.FeedbackExporter.extra_template_basedirs = [str(TEMPLATES), str(NBGRADER_TEMPLATES)]
