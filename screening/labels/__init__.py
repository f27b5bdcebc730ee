"""Labels and the discussion of a reference: a review's labels (shared with the team or private
to their maker), putting them on references one at a time or a filtered list at once, and each
reference's thread of posts. What blind screening hides of them is VoteView's rule
(screening/permissions/blinding.py, `notes`)."""
