"""The audit trail: every change to a review appended to a keyed hash chain (chain.py, signed
with the keys of signing.py), its verification and receipts (verify.py), the database role
that cannot rewrite it (db_roles.py), and the log's pages (views.py). Every feature writes
through `audit_record`; this package imports none of them."""
