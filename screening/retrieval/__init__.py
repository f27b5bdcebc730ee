"""Retrieval, between title/abstract and full text: each report sought is recorded as
retrieved (a PDF or a link) or not retrieved, with a reason."""
