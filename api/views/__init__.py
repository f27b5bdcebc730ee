"""The API's views, one module per part of the product; each is thin: it finds the review
through api.access (the pages' rule), reads through the pages' selectors and answers."""
