"""Who may see and do what: the review of a request and the member's role (access.py), and
whose votes a member may see while screening is blind (blinding.py). Every page, export and
read that shows votes goes through them. What is refused, and how a view tells the person: the
common refusal (refusals.py) and the running of an action a person asked for (actions.py)."""
