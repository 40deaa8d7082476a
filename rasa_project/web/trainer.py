"""The trainer page (issue 19): the inbox of misunderstood messages, annotation in one step, retrain
and compare in the background, and the switch to the new model through the existing rollout.

Only people in the LDAP group ``trainers`` (setting ``ldap_group_trainers``) see it; managers are not
trainers unless they are in that group too. Every save goes through the review desk
(``rasa_project.review.service.ReviewDesk``), which refuses what ``dingk3 data check`` refuses and
writes a ``training`` audit record, exactly as ``dingk3 review`` does. Names of the people who wrote
a message are shown only to managers (the CLI's ``--as`` rule); others see how many people.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.authz.roles import ROLE_MANAGERS, ROLE_TRAINERS
from rasa_project.nlu.datacheck import BLOCK_LANGS, INTENTS
from rasa_project.nlu.extractor import ENTITIES
from rasa_project.review import rollout
from rasa_project.review import spans as marking
from rasa_project.review.annotate import Refused
from rasa_project.review.inbox import REASONS
from rasa_project.review.jobs import RetrainJobs
from rasa_project.review.service import UnknownItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Helpers:
    """What the trainer routes borrow from the web app (app.py): pages, sessions, CSRF, forms."""

    render: Callable
    signed_in: Callable
    csrf_ok: Callable
    refused_page: Callable
    form: Callable
    lang_of: Callable


def _json_safe(value):
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


def register(app, wiring, h: Helpers) -> None:
    settings = wiring.settings
    jobs = RetrainJobs(settings)
    app.state.retrain_jobs = jobs

    def trainer_session(request: Request):
        session, redirect = h.signed_in(request)
        if redirect:
            return None, redirect
        if ROLE_TRAINERS not in session.roles:
            return None, h.refused_page(request, session, "trainer.only", 403)
        return session, None

    def json_refused(request: Request) -> JSONResponse | None:
        """The JSON endpoints' gate: a bare 403 (no page, no redirect) for anyone but a signed-in trainer."""
        _session, refused = trainer_session(request)
        return JSONResponse({"error": "forbidden"}, 403) if refused else None

    def names_of(session, staff_ids: list[str]) -> str | None:
        if ROLE_MANAGERS not in session.roles:
            return None
        names = []
        for staff_id in staff_ids:
            try:
                person = wiring.directory.find(staff_id)
            except DirectoryUnavailable:  # no names, the page still works
                return None
            names.append(person.name if person and person.name else "?")
        return ", ".join(names)

    def active_models() -> dict:
        return {url: rollout.model_hash(model) for url, model in rollout.active_models(settings, timeout_s=2.0).items()}

    def page(request: Request, session, *, outcome=None, status: int = 200):
        p = request.query_params
        lang_filter = p.get("lang") if p.get("lang") in BLOCK_LANGS else None
        reason = p.get("reason") if p.get("reason") in REASONS else None
        everything = wiring.review.inbox()
        items = [i for i in everything if (lang_filter is None or lang_filter in i.languages)
                 and (reason is None or reason in i.reasons)]
        counts = Counter(r for i in everything for r in i.reasons)
        people = {i.id: names_of(session, i.speakers) for i in items}
        tables = wiring.mapping
        return h.render(
            request, "trainer.html", session, status=status, page_title="trainer.title", no_live=True,
            items=items, total=len(everything), counts=counts, reasons=REASONS, block_langs=BLOCK_LANGS,
            lang_filter=lang_filter, reason_filter=reason, intents=INTENTS, entities=ENTITIES, people=people,
            materials=[(m.chat_code, m.display_name(h.lang_of(request, session))) for m in tables.materials],
            work_centers=[(w.number, w.display_name(h.lang_of(request, session))) for w in tables.work_centers],
            models=active_models(), job=jobs.latest(), outcome=outcome,
        )

    def outcome_of_edit(edit, readings=None) -> dict:
        return {"ok": True, "file": str(edit.path), "line": edit.line, "text": edit.text,
                "readings": [r.as_dict() for r in readings or []]}

    def outcome_of_refusal(exc: Refused) -> dict:
        return {"ok": False, "reason": exc.reason, "problems": list(exc.problems)}

    @app.get("/trainer", response_class=HTMLResponse)
    async def trainer_page(request: Request):
        session, refused = trainer_session(request)
        if refused:
            return refused
        return await asyncio.to_thread(page, request, session)

    @app.get("/trainer/read")
    async def read_spans(request: Request, item: str = "", spans: str = "[]", intent: str = ""):
        """What the extractor reads in the marked spans (the page shows it before anything is saved)."""
        refused = json_refused(request)
        if refused:
            return refused
        try:
            found = wiring.review.item(item[:16])
            readings = marking.read_spans(found.text, marking.parse_spans(spans[:2000]), wiring.mapping,
                                          wiring.clock.today(), intent if intent in INTENTS else found.intent)
        except UnknownItem:
            return JSONResponse({"error": "unknown item"}, 404)
        except Refused as exc:
            return JSONResponse({"refused": exc.reason}, 400)
        return {"annotated": marking.annotated(found.text, readings),
                "readings": [{k: _json_safe(v) for k, v in r.as_dict().items()} for r in readings]}

    @app.post("/trainer/items/{item_id}/intent")
    async def save_intent(request: Request, item_id: str):
        session, refused = trainer_session(request)
        if refused:
            return refused
        form = await h.form(request)
        if not h.csrf_ok(request, form, session):
            return h.refused_page(request, session, "web.csrf", 403)
        intent, lang = form.get("intent") or "", form.get("lang") or None
        lang = lang if lang in BLOCK_LANGS else None

        def save():
            try:
                spans = marking.parse_spans(form.get("spans") or "[]")
                if spans:
                    edit, readings = wiring.review.mark_entities(
                        item_id[:16], intent, spans, by=session.staff_id, tables=wiring.mapping,
                        today=wiring.clock.today(), lang=lang)
                    return outcome_of_edit(edit, readings), 200
                return outcome_of_edit(wiring.review.set_intent(item_id[:16], intent, by=session.staff_id, lang=lang)), 200
            except UnknownItem:
                return {"ok": False, "reason": "unknown item", "problems": []}, 404
            except Refused as exc:
                return outcome_of_refusal(exc), 422

        outcome, status = await asyncio.to_thread(save)
        return await asyncio.to_thread(page, request, session, outcome=outcome, status=status)

    @app.post("/trainer/items/{item_id}/alias")
    async def save_alias(request: Request, item_id: str):
        session, refused = trainer_session(request)
        if refused:
            return refused
        form = await h.form(request)
        if not h.csrf_ok(request, form, session):
            return h.refused_page(request, session, "web.csrf", 403)
        kind = form.get("kind") or ""
        code = form.get("material") if kind == "material" else form.get("work_center")

        def save():
            try:
                edit = wiring.review.add_alias(item_id[:16], kind, code or "", form.get("word") or "", by=session.staff_id)
                return outcome_of_edit(edit), 200
            except UnknownItem:
                return {"ok": False, "reason": "unknown item", "problems": []}, 404
            except Refused as exc:
                return outcome_of_refusal(exc), 422

        outcome, status = await asyncio.to_thread(save)
        return await asyncio.to_thread(page, request, session, outcome=outcome, status=status)

    # -- retrain, compare, switch -------------------------------------------------------------------
    def retrain_page(request: Request, session, *, switched=None, status: int = 200, error_key: str | None = None):
        job = jobs.latest()
        return h.render(request, "trainer_retrain.html", session, status=status, page_title="trainer.retrain_title",
                        no_live=True, job=job, models=active_models(), switched=switched, error_key=error_key)

    @app.post("/trainer/retrain")
    async def retrain(request: Request):
        session, refused = trainer_session(request)
        if refused:
            return refused
        form = await h.form(request)
        if not h.csrf_ok(request, form, session):
            return h.refused_page(request, session, "web.csrf", 403)
        started = await asyncio.to_thread(jobs.start, session.staff_id)
        if started is None:
            return await asyncio.to_thread(retrain_page, request, session, status=409, error_key="trainer.retrain_busy")
        return RedirectResponse("/trainer/retrain", status_code=303)

    @app.get("/trainer/retrain", response_class=HTMLResponse)
    async def retrain_status(request: Request):
        session, refused = trainer_session(request)
        if refused:
            return refused
        return await asyncio.to_thread(retrain_page, request, session)

    @app.get("/trainer/retrain.json")
    async def retrain_json(request: Request):
        refused = json_refused(request)
        if refused:
            return refused
        job = await asyncio.to_thread(jobs.latest)
        if job is None:
            return {"stage": None}
        return {"id": job.id, "stage": job.stage, "running": job.running, "log": job.log[-5:], "epoch": job.epoch,
                "worse": (job.report or {}).get("worse")}

    @app.post("/trainer/switch")
    async def switch(request: Request):
        session, refused = trainer_session(request)
        if refused:
            return refused
        form = await h.form(request)
        if not h.csrf_ok(request, form, session):
            return h.refused_page(request, session, "web.csrf", 403)
        job = await asyncio.to_thread(jobs.latest)
        if job is None or job.id != form.get("job") or job.running or not job.report:
            return await asyncio.to_thread(retrain_page, request, session, status=409, error_key="trainer.switch_stale")
        worse = list(job.report.get("worse") or [])
        if worse and form.get("confirm_worse") != "yes":
            return await asyncio.to_thread(retrain_page, request, session, status=409,
                                           error_key="trainer.switch_needs_confirm")
        after = settings.model_dir / job.report["after_model"]
        if not after.is_file():
            return await asyncio.to_thread(retrain_page, request, session, status=409, error_key="trainer.switch_stale")
        outcome = await asyncio.to_thread(rollout.switch, settings, after)
        await asyncio.to_thread(rollout.record_switch, wiring.audit, by=session.staff_id, after=after,
                                previous=job.report.get("before_model"), worse=worse, servers=outcome, via="web")
        return await asyncio.to_thread(retrain_page, request, session, switched=outcome)


__all__ = ["Helpers", "register"]
