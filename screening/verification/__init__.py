"""The exclusion audit: each reviewer's reasons side by side (drift stands out), and
verification samples, where excluded references decided by one reviewer are re-screened blind
by another to estimate how many relevant ones were lost."""
