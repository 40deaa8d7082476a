"""`make security` / `python -m devtools.security`: the attack suite against a whole running system.

Starts the demo system (simulators, slapd, action server, worker, Rasa) on free loopback ports in
its own var directory, exactly as the end-to-end tests do, with the product's default security
settings (only the bot's reply pacing is raised, as in the e2e stack: it is DingTalk's limit, not
a defence). Then runs each attack class (``attacks/``, one module each) at least ``--attempts``
times, checks that K/3 and the audit trail are unchanged, and writes reports/security/latest.json
and latest.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import shutil
import signal
import socket
import sys
import time
from pathlib import Path

from devtools.security.checks import digest, k3_snapshot, trail_state
from devtools.security.context import PENDING, Context, Result
from devtools.security.report import write_reports
from devtools.stack import DEMO_ANCHOR, demo_stack
from rasa_project.settings import Settings

log = logging.getLogger("devtools.security")

# in run order; the flood goes last (it empties one sender's bucket on purpose)
CLASSES = ("signatures", "replay", "impersonation", "origins", "action_server", "rasa_api", "malformed", "cards",
           "injection", "events", "flood", "web_pages")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def suite_settings(var_dir: Path) -> Settings:
    ports = {name: free_port() for name in ("k3", "dt", "ldap", "rasa", "actions", "web")}
    return Settings(
        env="test", var_dir=var_dir, clock_anchor=DEMO_ANCHOR,
        k3_sim_port=ports["k3"], k3_base_url=f"http://127.0.0.1:{ports['k3']}/k3cloud/",
        dingtalk_sim_port=ports["dt"], dingtalk_openapi_url=f"http://127.0.0.1:{ports['dt']}",
        ldap_url=f"ldap://127.0.0.1:{ports['ldap']}", rasa_port=ports["rasa"], action_port=ports["actions"],
        web_port=ports["web"],
        dingtalk_rate_per_minute=1000, dingtalk_sim_rate_per_minute=1000,  # reply pacing only
        audit_anchor_interval_s=5,
    )


def record_hashes(settings) -> list[str]:
    from rasa_project.audit.models import AuditRecord
    from rasa_project.db import get_sessionmaker

    with get_sessionmaker(settings.sqlalchemy_url)() as s:
        return [h for (h,) in s.query(AuditRecord.hash).order_by(AuditRecord.id)]


def warm_up(ctx: Context) -> None:
    for staff, conversation, text in (("pmc0001", "cidPMC0001", "进度 P20250401"),
                                      ("prod0001", "cidPROD0001", "BOM-4100 还有多少库存"),
                                      ("manager0001", None, "你好")):
        start = max((m["seq"] for m in ctx.sim_messages()), default=0)
        ctx.chat(staff, text, conversation)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ctx.sim_messages(after=start):
            time.sleep(0.2)


def unchanged(settings, k3_before: str, hashes_before: list[str], trail_before) -> dict:
    from rasa_project.audit import AuditTrail
    from rasa_project.audit.anchor import read_anchors
    from rasa_project.db import get_sessionmaker

    after = trail_state(settings)
    hashes = record_hashes(settings)
    anchors = read_anchors(settings.audit_anchor_file) if settings.audit_anchor_file.exists() else []
    anchored = AuditTrail(get_sessionmaker(settings.sqlalchemy_url), secrets=()).verify_anchors(
        anchors, settings.audit_anchor_key.get_secret_value())
    checks = {
        "k3_unchanged": digest(k3_snapshot(settings)) == k3_before,
        "audit_chain_verifies": after.chain_ok,
        "audit_records_before_unchanged": hashes[:len(hashes_before)] == hashes_before,
        "audit_no_k3_write_added": after.writes == trail_before.writes,
        "audit_no_decision_added": after.decisions == trail_before.decisions,
        "audit_anchors_hold": anchored.ok,
    }
    checks["details"] = {"records_before": len(hashes_before), "records_after": len(hashes),
                         "anchors": anchored.anchors, "anchor_reason": anchored.reason}
    return checks


def run_suite(attempts: int, out_dir: Path, work_dir: Path, model: Path, only: tuple[str, ...] = ()) -> dict:
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    settings = suite_settings(work_dir)
    stack = demo_stack(settings, model)
    started = time.monotonic()
    results: list[Result] = []
    with stack:
        with Context(settings, attempts) as ctx:
            warm_up(ctx)  # a few ordinary turns first, so the trail has records the attacks must not touch
            k3_before, hashes_before, trail_before = (digest(k3_snapshot(settings)), record_hashes(settings),
                                                      trail_state(settings))
            for name in CLASSES:
                if only and name not in only:
                    continue
                module = importlib.import_module(f"devtools.security.attacks.{name}")
                t0 = time.monotonic()
                print(f"  {name} ...", end="", flush=True)
                got = module.run(ctx)
                for result in got if isinstance(got, list) else [got]:
                    result.note = (result.note + f" ({time.monotonic() - t0:.0f} s)").strip()
                    results.append(result)
                    shown = "pending" if result.status == PENDING else f"{result.accepted}/{result.tried}"
                    print(f" {result.name}: {shown}", end="", flush=True)
                print(flush=True)
        # the suite's own ordinary turns wrote records; none of the earlier ones may differ
        time.sleep(6)  # one anchor interval, so the last anchor covers the end of the run
        checks = unchanged(settings, k3_before, hashes_before, trail_before)
    report = {
        "generated_unix": int(time.time()), "duration_s": round(time.monotonic() - started, 1),
        "attempts_per_class": attempts, "work_dir": str(work_dir), "logs": str(work_dir / "logs"),
        "settings": {k: settings.safe_dict()[k] for k in (
            "dingtalk_sign_window_s", "dingtalk_reply_origins", "dingtalk_sender_burst",
            "dingtalk_sender_rate_per_minute", "dingtalk_conversation_burst",
            "dingtalk_conversation_rate_per_minute", "dingtalk_max_text_chars", "dingtalk_max_body_bytes",
            "dingtalk_verify_speakers", "rasa_enable_api")},
        "classes": [r.as_dict() for r in results], "checks": checks,
        "ok": (all(r.accepted == 0 for r in results) and all(v for k, v in checks.items() if k != "details")
               and all(r.status != PENDING and r.tried >= attempts for r in results)),  # a class cut short is no pass
    }
    write_reports(report, out_dir)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.security", description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=200, help="attempts per class (at least; default 200)")
    parser.add_argument("--only", nargs="*", default=(), choices=CLASSES, help="run only these classes")
    parser.add_argument("--model", help="model archive (default: train or reuse the cached one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)

    def stop(_signo, _frame):  # Ctrl-C or SIGTERM: leave through the context managers (stack.stop)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    from rasa_project.nlu.training import ensure_model

    root = Settings().project_root
    model = Path(args.model) if args.model else ensure_model()
    print(f"Attack suite: {args.attempts}+ attempts per class, whole system on loopback ...", flush=True)
    report = run_suite(args.attempts, root / "reports" / "security", root / "var" / "security", model,
                       tuple(args.only))
    print(json.dumps({c["name"]: (c["status"] if c["status"] == PENDING else f"{c['accepted']}/{c['tried']}")
                      for c in report["classes"]}, ensure_ascii=False))
    print(f"checks: {json.dumps({k: v for k, v in report['checks'].items() if k != 'details'})}")
    print(f"report: {root / 'reports' / 'security' / 'latest.md'}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
