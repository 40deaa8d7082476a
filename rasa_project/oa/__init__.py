"""DingTalk OA approval (审批): the durable inbox of verified approval events (``inbox``).

Processing the events (agree -> K/3 audit, refuse/terminate -> un-audit, group notices) is built
on top of ``Inbox.claim_next`` / ``mark_done`` in a later step.
"""
