"""The worked example: the ivonescimab review built from the article's own facts and real
export files (worked_example.py; the files and their licences in data/)."""
