"""When screening may stop: the hypergeometric stopping rule (rule.py), drawing, applying and
withdrawing a stopping sample (services.py), the inclusions curve (svg.py) and the review
home's prioritisation panel (selectors.py, views.py)."""
