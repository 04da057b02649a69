"""Hidden tests: one function per grade cell, called as a single line from the cell.

Keeping the cases here (not in the notebook) means the autograded notebook and its
feedback show only ``hidden.corr2d_random(corr2d)``, never the cases themselves.
"""
