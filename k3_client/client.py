"""``K3Client`` (blocking) and ``AsyncK3Client`` (asyncio): two thin shells over one core.

Both run the same sans-IO generators (``k3_client.ops``, ``k3_client.facade``) and the same
request building/parsing (``k3_client.protocol``); they only differ in how bytes move. Policy,
identical in both:

* login: signed headers on every call (``signed``), or ValidateUser (``password``) /
  LoginByAppSecret (``appsecret``) once, then the ``kdservice-sessionid`` cookie;
* session lost (MsgCode 1): log in again once and replay the call once;
* reads (View, ExecuteBillQuery) are retried up to ``K3Config.retries`` times on ``K3Unavailable``;
  writes never are: the facade looks the result up by its request key instead;
* httpx errors become ``K3Unavailable`` here and nowhere else; nothing secret is logged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from k3_client import facade, ops
from k3_client.config import K3Config
from k3_client.errors import K3AuthFailed, K3Error, K3SessionLost, K3Unavailable
from k3_client.models import OrderDraft, OrderStatus
from k3_client.protocol import Call, K3Protocol

log = logging.getLogger("k3_client")


class _NoSecretsInHttpTrace(logging.Filter):
    """httpcore traces raw headers at DEBUG (Set-Cookie: kdservice-sessionid=...); drop those lines."""

    MARKERS = ("cookie", "sessionid", "x-kd-", "x-api-signature")

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage().lower()
        return not any(marker in text for marker in self.MARKERS)


for _name in ("httpcore.http11", "httpcore.http2", "httpx"):
    logging.getLogger(_name).addFilter(_NoSecretsInHttpTrace())


class _Operations:
    """Every public operation, written once; ``_run`` is a value (sync) or a coroutine (async)."""

    attempts: int

    def _run(self, gen: Generator[Call, Any, Any]):  # pragma: no cover - provided by the shells
        raise NotImplementedError

    # -- low-level WebAPI ----------------------------------------------------------------------
    def save(self, form_id: str, model: dict, *, need_update_fields: Sequence[str] = (),
             need_return_fields: Sequence[str] = (), is_delete_entry: bool = True):  # fmt: skip
        return self._run(ops.save(form_id, model, need_update_fields=need_update_fields,
                                  need_return_fields=need_return_fields, is_delete_entry=is_delete_entry))  # fmt: skip

    def batch_save(self, form_id: str, models: Sequence[dict], *, need_return_fields: Sequence[str] = ()):
        return self._run(ops.batch_save(form_id, models, need_return_fields=need_return_fields))

    def submit(self, form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()):
        return self._run(ops.submit(form_id, list(numbers), list(ids)))

    def audit(self, form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()):
        return self._run(ops.audit(form_id, list(numbers), list(ids)))

    def unaudit(self, form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()):
        return self._run(ops.unaudit(form_id, list(numbers), list(ids)))

    def cancel_assign(self, form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()):
        return self._run(ops.cancel_assign(form_id, list(numbers), list(ids)))

    def delete(self, form_id: str, numbers: Iterable[str] = (), ids: Iterable[int] = ()):
        return self._run(ops.delete(form_id, list(numbers), list(ids)))

    def view(self, form_id: str, *, number: str = "", id: int | None = None):
        return self._run(ops.view(form_id, number=number, id=id))

    def execute_bill_query(self, form_id: str, field_keys: Sequence[str], *, filter: str = "", order: str = "",
                           top: int = 0, start: int = 0, limit: int = 0):  # fmt: skip
        return self._run(ops.execute_bill_query(form_id, field_keys, filter=filter, order=order, top=top,
                                                start=start, limit=limit))  # fmt: skip

    def execute_operation(self, form_id: str, op_number: str, *, numbers: Iterable[str] = (),
                          ids: Iterable[int] = (), entry_ids: dict | None = None):  # fmt: skip
        return self._run(ops.execute_operation(form_id, op_number, numbers=list(numbers), ids=list(ids),
                                               entry_ids=entry_ids))  # fmt: skip

    def push(self, form_id: str, target_form_id: str, *, rule_id: str = "", numbers: Iterable[str] = (),
             ids: Iterable[int] = (), entry_ids: Iterable[int] = ()):  # fmt: skip
        return self._run(ops.push(form_id, target_form_id, rule_id=rule_id, numbers=list(numbers), ids=list(ids),
                                  entry_ids=list(entry_ids)))  # fmt: skip

    # -- ProductionK3 ----------------------------------------------------------------------------
    def find_material(self, number: str):
        return self._run(facade.find_material(number))

    def find_bom(self, number: str):
        return self._run(facade.find_bom(number))

    def find_audited_bom(self, material_number: str):
        return self._run(facade.find_audited_bom(material_number))

    def find_materials(self, numbers: Iterable[str]):
        return self._run(facade.find_materials(numbers))

    def find_boms(self, numbers: Iterable[str]):
        return self._run(facade.find_boms(numbers))

    def find_audited_boms(self, material_numbers: Iterable[str]):
        return self._run(facade.find_audited_boms(material_numbers))

    def get_order(self, bill_no: str):
        return self._run(facade.get_order(bill_no))

    def list_orders(self, *, work_center=None, material_numbers=None, statuses: Iterable[OrderStatus] = (),
                    finish_from=None, start_to=None, finish_to=None):  # fmt: skip
        return self._run(facade.list_orders(work_center=work_center, material_numbers=material_numbers,
                                            statuses=statuses, finish_from=finish_from, start_to=start_to,
                                            finish_to=finish_to))  # fmt: skip

    def get_orders(self, bill_nos: Iterable[str]):
        return self._run(facade.get_orders(list(bill_nos)))

    def stock_of(self, material_numbers: Iterable[str]):
        return self._run(facade.stock_of(material_numbers))

    def find_order_by_request_key(self, request_key: str):
        return self._run(facade.find_order_by_request_key(request_key))

    def list_reports(self, order_bill_no: str):
        return self._run(facade.list_reports(order_bill_no))

    def list_report_lines(self, order_bill_nos: Iterable[str]):
        return self._run(facade.list_report_lines(order_bill_nos))

    def create_order(self, draft: OrderDraft, *, audit: bool = True):
        return self._run(facade.create_order(draft, self.attempts, audit=audit))

    def audit_order(self, bill_no: str):
        return self._run(facade.audit_order(bill_no, self.attempts))

    def withdraw_order(self, bill_no: str, *, delete: bool = True):
        return self._run(facade.withdraw_order(bill_no, self.attempts, delete=delete))

    def list_dated_reports(self, *, since=None, order_bill_nos=None, bill_nos=None):
        return self._run(facade.list_dated_reports(since=since, order_bill_nos=order_bill_nos, bill_nos=bill_nos))

    def change_order(self, bill_no: str, *, qty=None, plan_finish=None, work_center=None):
        return self._run(facade.change_order(bill_no, qty=qty, plan_finish=plan_finish, work_center=work_center,
                                             attempts=self.attempts))  # fmt: skip

    def set_order_status(self, bill_no: str, operation: str):
        return self._run(facade.set_order_status(bill_no, operation, self.attempts))

    def report_output(self, bill_no: str, *, good: float, scrap: float, request_key: str):
        return self._run(facade.report_output(bill_no, good=good, scrap=scrap, request_key=request_key,
                                              attempts=self.attempts))  # fmt: skip

    def reverse_report(self, report_bill_no: str):
        return self._run(facade.reverse_report(report_bill_no, self.attempts))

    def delete_order(self, bill_no: str):
        return self._run(facade.delete_order(bill_no, self.attempts))


@dataclass(frozen=True)
class CallRecord:
    """What an observer (the audit trail) learns of one WebAPI call: never credentials or bodies."""

    operation: str
    form_id: str
    bill_nos: tuple[str, ...]
    ok: bool
    error: str | None = None  # K3Error class name
    msg_code: int | None = None
    seconds: float | None = None  # the call with its retries and any re-login (metrics: latency by operation)
    bill_ids: tuple[int, ...] = ()  # bills named by internal id (Ids, PkEntryIds) rather than number


def _call_data(call: Call) -> Any:
    """The call's ``data`` argument, decoded when it was sent as a JSON string (None if unreadable)."""
    data = call.body.get("data") if isinstance(call.body, dict) else None
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError:
            return None
    return data


def _bill_nos(call: Call, value: Any) -> tuple[str, ...]:
    data = _call_data(call)
    found: list[str] = []
    if isinstance(data, dict):
        numbers = data.get("Numbers") or []
        found += [str(n) for n in (numbers if isinstance(numbers, list) else [numbers]) if n]
        if data.get("Number"):
            found.append(str(data["Number"]))
        model = data.get("Model")
        if isinstance(model, dict) and model.get("FBillNo"):
            found.append(str(model["FBillNo"]))
    if isinstance(value, dict) and isinstance(value.get("Number"), str):
        found.append(value["Number"])
    return tuple(dict.fromkeys(found))


def _bill_ids(call: Call) -> tuple[int, ...]:
    data = _call_data(call)
    found: list[int] = []
    if isinstance(data, dict):
        ids = data.get("Ids")
        for part in (ids.split(",") if isinstance(ids, str) else ids if isinstance(ids, list) else []):
            if str(part).strip().isdigit():
                found.append(int(str(part).strip()))
        for item in data.get("PkEntryIds") or []:
            if isinstance(item, dict) and str(item.get("Id", "")).strip().isdigit():
                found.append(int(str(item["Id"]).strip()))
    return tuple(dict.fromkeys(found))


class _Shell(_Operations):
    observer: Callable[[CallRecord], None] | None  # e.g. the audit trail, given by the owner

    def _observe(self, call: Call, value: Any, error: K3Error | None, seconds: float | None = None) -> None:
        if self.observer is None or call.kind == "login":
            return
        record = CallRecord(
            operation=call.operation,
            form_id=call.form_id,
            bill_nos=_bill_nos(call, value),
            ok=error is None,
            error=type(error).__name__ if error is not None else None,
            msg_code=getattr(error, "msg_code", None),
            seconds=seconds,
            bill_ids=_bill_ids(call),
        )
        try:
            self.observer(record)
        except Exception:  # an observer must never change what K/3 did or what the caller sees
            log.exception("K/3 call observer failed for %s %s", call.operation, call.form_id)

    def __init__(
        self,
        config: K3Config,
        *,
        clock: Callable[[], float] = time.time,
        observer: Callable[[CallRecord], None] | None = None,
    ) -> None:
        if not isinstance(config, K3Config):
            raise TypeError(f"{type(self).__name__} takes a K3Config, not {type(config).__name__}")
        self.config = config
        self.protocol = K3Protocol(config.credentials)
        self.attempts = config.attempts
        self.observer = observer
        self._clock = clock
        self._timeout = httpx.Timeout(config.timeout_s)

    def _after_response(self, call: Call, response: httpx.Response, started: float) -> Any:
        self.protocol.absorb_cookies(response.headers.get_list("set-cookie"))
        log.debug(
            "K/3 %s %s -> HTTP %s in %.0f ms",
            call.operation, call.form_id, response.status_code, (time.monotonic() - started) * 1000,
        )  # fmt: skip
        return self.protocol.parse(call, response.status_code, response.text)

    def _read_tries(self, call: Call) -> int:
        return self.attempts if call.is_read else 1


def _unavailable(call: Call, exc: Exception) -> K3Unavailable:
    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else type(exc).__name__
    log.warning("K/3 %s %s unavailable: %s", call.operation, call.form_id, kind)
    return K3Unavailable(f"{kind} during {call.operation}")


class K3Client(_Shell):
    """Blocking K/3 WebAPI client; implements ``k3_client.api.ProductionK3``."""

    def __init__(self, config: K3Config, *, transport: httpx.BaseTransport | None = None, **kw) -> None:
        super().__init__(config, **kw)
        self._http = httpx.Client(base_url=self.protocol.base_url, transport=transport, timeout=self._timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self, gen):
        value, error = None, None
        while True:
            try:
                call = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            started = time.monotonic()
            try:
                value, error = self._execute(call), None
            except K3Error as exc:
                value, error = None, exc
            self._observe(call, value, error, time.monotonic() - started)

    def _execute(self, call: Call) -> Any:
        tries = self._read_tries(call)
        for attempt in range(1, tries + 1):
            try:
                return self._with_session(call)
            except K3Unavailable:
                if attempt >= tries:
                    raise

    def _with_session(self, call: Call) -> Any:
        if self.protocol.needs_login:
            self._login()
        try:
            return self._send(call)
        except K3AuthFailed:
            raise
        except K3SessionLost as lost:
            log.info("K/3 session lost during %s; logging in again and replaying once", call.operation)
            self.protocol.forget_session()
            if not self.protocol.is_signed:
                self._login()
            try:
                return self._send(call)
            except K3SessionLost as again:
                if self.protocol.is_signed:
                    raise K3AuthFailed(again.message or lost.message) from None
                raise

    def _login(self) -> None:
        self.protocol.forget_session()
        self._send(self.protocol.login_call())

    def _send(self, call: Call) -> Any:
        request = self.protocol.build(call, now=self._clock())
        started = time.monotonic()
        try:
            response = self._http.post(request.url, content=request.content, headers=request.headers)
        except httpx.TransportError as exc:
            raise _unavailable(call, exc) from None
        self._http.cookies.clear()  # cookies live in the protocol state only
        return self._after_response(call, response, started)


class AsyncK3Client(_Shell):
    """The asyncio twin of ``K3Client``: same methods, each returns an awaitable."""

    def __init__(self, config: K3Config, *, transport: httpx.AsyncBaseTransport | None = None, **kw) -> None:
        super().__init__(config, **kw)
        self._http = httpx.AsyncClient(base_url=self.protocol.base_url, transport=transport, timeout=self._timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    async def _run(self, gen):
        value, error = None, None
        while True:
            try:
                call = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                return stop.value
            started = time.monotonic()
            try:
                value, error = await self._execute(call), None
            except K3Error as exc:
                value, error = None, exc
            self._observe(call, value, error, time.monotonic() - started)

    async def _execute(self, call: Call) -> Any:
        tries = self._read_tries(call)
        for attempt in range(1, tries + 1):
            try:
                return await self._with_session(call)
            except K3Unavailable:
                if attempt >= tries:
                    raise

    async def _with_session(self, call: Call) -> Any:
        if self.protocol.needs_login:
            await self._login()
        try:
            return await self._send(call)
        except K3AuthFailed:
            raise
        except K3SessionLost as lost:
            log.info("K/3 session lost during %s; logging in again and replaying once", call.operation)
            self.protocol.forget_session()
            if not self.protocol.is_signed:
                await self._login()
            try:
                return await self._send(call)
            except K3SessionLost as again:
                if self.protocol.is_signed:
                    raise K3AuthFailed(again.message or lost.message) from None
                raise

    async def _login(self) -> None:
        self.protocol.forget_session()
        await self._send(self.protocol.login_call())

    async def _send(self, call: Call) -> Any:
        request = self.protocol.build(call, now=self._clock())
        started = time.monotonic()
        try:
            response = await self._http.post(request.url, content=request.content, headers=request.headers)
        except httpx.TransportError as exc:
            raise _unavailable(call, exc) from None
        self._http.cookies.clear()
        return self._after_response(call, response, started)
