"""The review's reference list: filters (including every PRISMA box's references), exports
(CSV, RIS), bulk removal before screening, and a reference's own page with its records,
decision history and full text."""
