"""The studies pages: the review's studies (studies.py), a study's page (study.py, drawn by
study_page.py) and the rows of its data grid (grid.py); the downloads and forest plots
(exports.py)."""
