"""GRADE: the certainty of the evidence per outcome, and the summary-of-findings table."""
