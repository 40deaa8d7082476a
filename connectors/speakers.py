"""Who is speaking: a body's ``senderStaffId`` must belong to the conversation it names.

Groups: DingTalk's OpenAPI answers whether a user is a member of an internal group
(``POST /v1.0/im/innerGroups/members/check``, im_1.0 CheckUserIsGroupMember). A yes is trusted for
``dingtalk_member_cache_ttl_s``; a no for ``dingtalk_nonmember_cache_ttl_s`` (short, so someone
who just joined is heard within seconds, while a flood of made-up names costs one call per name).

1:1 conversations: DingTalk offers no API that says whose robot chat a conversation id is, so the
first person heard in it owns it (kept in the channel's claim store, across restarts and
replicas); a later body naming anyone else in that conversation is refused. The type is not
taken on the body's word either: a conversation keeps the kind it was first heard as (group or
1:1, in the same store; the configured PMC and production groups are groups from the start), and
a "1:1" body naming a group DingTalk counts the sender in is refused.
Card presses are checked the same way against the space they came from.

The channel asks after it has acknowledged the message (the acknowledgement waits on no call to
DingTalk), at the start of the message's turn and before Rasa sees it; a sender who does not belong
gets no turn and no answer (``connectors.dingtalk``).

A sender without a staff id (an external contact) claims no identity; the permission gate
refuses them everything, so there is nothing to cross-check.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from connectors.replay import ClaimStore
from dingtalk_client.openapi import DingTalkInvalidParameter

log = logging.getLogger(__name__)

DM_OWNER_TTL_S = 400 * 86400  # a robot chat keeps its owner


class SpeakerCheck:
    def __init__(self, openapi, claims: ClaimStore, *, member_ttl_s: int, nonmember_ttl_s: int,
                 known_groups: tuple[str, ...] = (), clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 50_000) -> None:
        self.openapi, self.claims = openapi, claims
        self.known_groups = frozenset(g for g in known_groups if g)
        self.member_ttl_s, self.nonmember_ttl_s = member_ttl_s, nonmember_ttl_s
        self._clock, self._max = clock, max_entries
        # (conversation, staff) -> (member: True / False / None = no group, until)
        self._cache: dict[tuple[str, str], tuple[bool | None, float]] = {}
        # (conversation, staff) -> the OpenAPI call in flight: a burst of messages asks DingTalk once
        self._asking: dict[tuple[str, str], asyncio.Future] = {}
        self.lookups = 0  # OpenAPI calls made (diagnostics, tests)

    @classmethod
    def from_settings(cls, settings, openapi, claims: ClaimStore) -> SpeakerCheck:
        return cls(openapi, claims, member_ttl_s=settings.dingtalk_member_cache_ttl_s,
                   nonmember_ttl_s=settings.dingtalk_nonmember_cache_ttl_s,
                   known_groups=(settings.dingtalk_pmc_group, settings.dingtalk_production_group))

    async def belongs(self, conversation_id: str, is_group: bool, staff_id: str | None) -> bool:
        """True if ``staff_id`` may speak in ``conversation_id``; raises DingTalkError if DingTalk
        cannot say (the channel asks again, with backoff, before the turn runs)."""
        if not staff_id:
            return True
        kind = "group" if is_group else "dm"
        if conversation_id in self.known_groups and not is_group:
            return False
        held = await asyncio.to_thread(self.claims.claim, f"kind:{conversation_id}", kind, DM_OWNER_TTL_S)
        if held not in (None, kind):  # a conversation keeps the kind it was first heard as
            log.warning("dingtalk: %s was heard as a %s, now the body says %s", conversation_id, held, kind)
            return False
        member = await self._membership(conversation_id, staff_id)
        if is_group:
            return member is True
        if member is True:  # a "1:1" body naming a group of which DingTalk says they are a member
            log.warning("dingtalk: %s is a group, not the robot chat the body says", conversation_id)
            return False
        owner = await asyncio.to_thread(self.claims.claim, f"dm:{conversation_id}", staff_id, DM_OWNER_TTL_S)
        return owner is None or owner == staff_id

    async def _membership(self, conversation_id: str, staff_id: str) -> bool | None:
        """Whether DingTalk counts ``staff_id`` in the group; None when it is no group DingTalk knows."""
        key = (conversation_id, staff_id)
        cached = self._cache.get(key)
        if cached and cached[1] > self._clock():
            return cached[0]
        asking = self._asking.get(key)
        if asking is None:
            asking = self._asking[key] = asyncio.ensure_future(self._ask(conversation_id, staff_id))
            asking.add_done_callback(lambda done: self._asked(key, done))
        return await asyncio.shield(asking)  # one waiter cancelled does not cancel the others' call

    def _asked(self, key: tuple[str, str], done: asyncio.Future) -> None:
        self._asking.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved: every waiter raises it on its own

    async def _ask(self, conversation_id: str, staff_id: str) -> bool | None:
        key = (conversation_id, staff_id)
        self.lookups += 1
        try:
            member: bool | None = bool(await self.openapi.is_group_member(conversation_id, staff_id))
        except DingTalkInvalidParameter as exc:  # not a group DingTalk knows (a robot chat, or not ours)
            log.info("dingtalk: %s is no group DingTalk knows (%s)", conversation_id, exc.code)
            member = None
        now = self._clock()
        if len(self._cache) >= self._max:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[key] = (member, now + (self.nonmember_ttl_s if member is False else self.member_ttl_s))
        return member
