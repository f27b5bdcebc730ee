"""The statistics of a meta-analysis: effect sizes from what trials report, and their pooling."""
