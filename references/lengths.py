"""The lengths of a reference's short text columns: one place for the model (models.py) and for
the code that cuts an import's values to fit them, which also runs where Django is not loaded
(an import's parser process, screening/identification/parse_process.py)."""

VOLUME = 100
ISSUE = 100
PAGES = 100
PMID = 20
PMCID = 20
DOI = 255
LANGUAGE = 50
