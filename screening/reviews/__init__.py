"""Reviews and their people: creating a review, members and roles, invitations, logins and
password resets (accounts.py), the review list and each review's home page."""
