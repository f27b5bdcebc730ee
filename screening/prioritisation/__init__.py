"""Screening prioritisation: the model that orders a review's unscreened records by predicted
relevance (model.py), the metrics the field measures it by (metrics.py), and the replay of a
labelled review that measures it (simulate.py). Plain Python and scikit-learn: no Django here,
so the benchmark and the command run the same code the app does."""
