"""Screening decisions: the review's settings and exclusion reasons, votes and their
withdrawals, conflicts and their resolution, reopening, removal before screening, the cached
state of each reference at each stage (items.py, from the pure rules of states.py), each
reviewer's queue, agreement, and the screening pages. `decision_record` (services.py) is the
key press."""
