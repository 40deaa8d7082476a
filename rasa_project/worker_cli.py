"""`dingk3 worker`: the background jobs (``rasa_project/worker.py``) as a process of their own."""

from __future__ import annotations


def register(subparsers) -> None:
    parser = subparsers.add_parser("worker", help="approval reminders/expiry, recovery and notification retries")
    parser.add_argument("--once", action="store_true", help="run one pass and exit")
    parser.add_argument("--interval", type=float, default=None, help="seconds between passes")
    parser.set_defaults(func=_run_worker)


def _run_worker(args) -> int:
    from rasa_project.settings import get_settings
    from rasa_project.wiring import Wiring

    settings = get_settings()
    if args.interval is not None:
        settings = settings.copy(update={"approval_worker_interval_s": args.interval})
    wiring = Wiring(settings)
    worker, anchors = wiring.worker, wiring.anchors  # anchors: the audit trail's outside copies (issue 20)
    if args.once:
        anchors.anchor_now()
        result = worker.tick()
        print(f"reminded={len(result.reminded)} expired={len(result.expired)} "
              f"resumed={len(result.resumed)} sent={result.sent}")
        return 0
    if settings.worker_metrics_port:
        from rasa_project import metrics

        metrics.watch_database(wiring.sessionmaker)
        metrics.serve(settings.worker_metrics_port, host=settings.worker_metrics_host)
        print(f"worker metrics on http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics",
              flush=True)
    worker.start()
    anchors.start()
    try:
        while worker.is_running():
            worker.join(1.0)
    except KeyboardInterrupt:
        worker.stop()
    return 0
