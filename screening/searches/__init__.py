"""The searches as a report: the search appendix (every search's strategy and counts, Markdown
and DOCX) and the PRISMA-S checklist filled in from the searches' documentation."""
