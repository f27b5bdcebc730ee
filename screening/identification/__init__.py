"""Identification, PRISMA's first box: sources and searches, file imports (imports.py) and their
background jobs (import_jobs.py), PubMed searches run as jobs (pubmed_jobs.py creates and
steers them, pubmed_run.py runs one, pubmed_client.py configures the E-utilities client), and
duplicates found on import or proposed for a person to judge (duplicates.py)."""
