"""Screening prioritisation: the model that orders a review's unscreened records by predicted
relevance (model.py, its choices and schedule in config.py), the metrics the field measures it
by (metrics.py) and the replay of a labelled review that measures it (simulate.py), all plain
Python and scikit-learn; and, in the app, the Ranking row a decision counts on and the retrain
it asks for (bookkeeping.py) and the retrain itself (retrain.py)."""
