"""Rasa's call to the action server tried again when the server went away (issue 17 item 7).

Rasa 3.6's ``RemoteAction.run`` turns a failed call into ``RasaException``; the processor logs
"Bot will continue, but the actions events are lost" and the turn ends **without a word to the
person**: an action server killed (or restarted) in the middle of a call, seen through nginx as
502, or refusing connections, left the message unanswered. ``install()`` wraps ``run`` so that a
call that did not reach a live action server -- connection refused or reset, 502 / 503 / 504 from
the load balancer -- is made again (``action_call_retries`` times, after 1 s, 2 s, ...), which
nginx sends to the other replica. Our actions may be run twice: every write is a state move with a
conditional UPDATE and K/3 creates carry a request key, so a second run answers from where the
first one stopped ("being written", "already created"). A 500 (the action itself failed) and a 400
(rejected) are not tried again. When every try failed, the person is told so in the
conversation's language (``general.internal_error``) instead of hearing nothing.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

TRANSIENT_STATUS = (502, 503, 504)
_original = None


def transient(error: BaseException) -> bool:
    """The call did not reach a live action server (so nothing says it ran to the end)."""
    import aiohttp
    from rasa.utils.endpoints import ClientResponseError

    cause = error.__cause__ or error.__context__
    if isinstance(cause, ClientResponseError):
        return cause.status in TRANSIENT_STATUS
    return isinstance(cause, (aiohttp.ClientConnectionError, asyncio.TimeoutError, ConnectionError))


def install(retries: int = 2, backoff_s: float = 1.0) -> bool:
    """Wrap ``RemoteAction.run`` once per process; False when already done."""
    global _original
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.exceptions import RasaException

    if _original is not None:
        return False
    _original = RemoteAction.run

    async def run(self, output_channel, nlg, tracker, domain):
        attempt = 0
        while True:
            try:
                return await _original(self, output_channel, nlg, tracker, domain)
            except RasaException as error:
                if not transient(error):
                    raise
                if attempt >= retries:
                    log.error("action %s for %s failed %d times; the person is told", self.name(),
                              tracker.sender_id, attempt + 1)
                    await _apologise(output_channel, tracker)
                    raise
                attempt += 1
                log.warning("action %s for %s: action server unreachable (%s); try %d of %d in %.0fs",
                            self.name(), tracker.sender_id, error.__cause__ or error.__context__, attempt + 1,
                            retries + 1, backoff_s * attempt)
                await asyncio.sleep(backoff_s * attempt)

    RemoteAction.run = run
    return True


async def _apologise(output_channel, tracker) -> None:
    from rasa_project import catalog

    lang = getattr(output_channel, "lang", None) or "zh"
    try:
        await output_channel.send_text_message(tracker.sender_id, catalog.text("general.internal_error", lang))
    except Exception:  # the turn ends either way; the failure is in the log above
        log.warning("could not tell %s that the action failed", tracker.sender_id, exc_info=True)


def uninstall() -> None:
    """Put Rasa's own ``run`` back (tests)."""
    global _original
    from rasa.core.actions.action import RemoteAction

    if _original is not None:
        RemoteAction.run = _original
        _original = None
