"""What trainers need to learn from real conversations: the inbox, annotation (issue 19)."""
