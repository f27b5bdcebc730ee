"""Risk of bias: RoB 2 assessments of a study's results (the tool as data, its algorithm, two
blind assessors and a consensus), the traffic-light and summary plots, and their exports."""
