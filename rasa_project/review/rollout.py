"""Which model the running Rasa servers answer with, and switching them to another one.

Through the channel's own route (connectors/model_switch.py, behind ``rasa_api_token`` as a Bearer
header): ``GET /webhooks/dingtalk/model`` names the loaded model, ``PUT`` loads another in a thread
beside the running one and swaps it in once loaded — unlike Rasa's ``PUT /model``, which loads on
the event loop and leaves DingTalk's callbacks unanswered meanwhile. Several servers are switched
one after the other. The model's hash (the name's suffix) is what ``dingk3 status`` shows.
"""

from __future__ import annotations

from pathlib import Path

import httpx


def rasa_urls(settings) -> list[str]:
    return list(settings.review_rasa_urls) or [f"http://{settings.rasa_host}:{settings.rasa_port}"]


def model_hash(model: str | Path | None) -> str | None:
    if not model:
        return None
    name = Path(str(model)).name.removesuffix(".tar.gz")
    return name.rpartition("-")[2] or name


ROUTE = "/webhooks/dingtalk/model"


def _auth(settings) -> dict:
    return {"Authorization": f"Bearer {settings.rasa_api_token.get_secret_value()}"}


def active_models(settings, timeout_s: float = 5.0) -> dict[str, str | None]:
    """Rasa URL -> the model file it has loaded (None if it does not answer)."""
    out: dict[str, str | None] = {}
    for url in rasa_urls(settings):
        try:
            r = httpx.get(f"{url}{ROUTE}", headers=_auth(settings), timeout=timeout_s)
            r.raise_for_status()
            out[url] = r.json().get("model_file")
        except (httpx.HTTPError, ValueError):
            out[url] = None
    return out


def switch(settings, model: Path, timeout_s: float = 300.0) -> dict[str, str]:
    """Load ``model`` on every Rasa server, one after the other (a rolling switch); URL -> outcome."""
    outcome: dict[str, str] = {}
    for url in rasa_urls(settings):
        try:
            r = httpx.put(f"{url}{ROUTE}", headers=_auth(settings), json={"model_file": str(model)}, timeout=timeout_s)
            outcome[url] = "loaded" if r.status_code == 200 else f"refused ({r.status_code}: {r.text[:200]})"
        except httpx.HTTPError as exc:
            outcome[url] = f"unreachable ({type(exc).__name__})"
    return outcome


def record_switch(trail, *, by: str, after: Path, previous: str | None, worse: list[str], servers: dict,
                  via: str = "cli") -> None:
    """The audit record of a switch (who, which model and hash, from which, worse sets accepted)."""
    trail.record("training", actor=by, change="model_switch", model=after.name, model_hash=model_hash(after),
                 previous=previous, worse=worse, accepted_worse=bool(worse), servers=servers, via=via)
