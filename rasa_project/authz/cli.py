"""`dingk3 ldap serve` (a seeded slapd in the foreground) and `dingk3 whois STAFF_ID`."""

from __future__ import annotations

import signal
from pathlib import Path
from urllib.parse import urlparse


def _serve(args) -> int:
    from rasa_project.authz.errors import SlapdError
    from rasa_project.authz.slapd import SlapdServer
    from rasa_project.settings import get_settings

    settings = get_settings()
    port = args.port or urlparse(settings.ldap_url).port or 389
    workdir = Path(args.workdir) if args.workdir else settings.var_dir / "slapd"
    server = SlapdServer(workdir, port, settings=settings)

    stopping = False

    def _terminate(signum, _frame):
        # SIGTERM from the demo runner: only signal slapd here; the main thread's wait()
        # returns and stop() reaps it (waiting inside a handler would deadlock on Popen's lock).
        nonlocal stopping
        stopping = True
        server.request_stop()

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        try:
            server.start()
        except SlapdError:
            if stopping:  # told to stop while slapd was still starting
                return 0
            raise
        if stopping:  # SIGTERM arrived before slapd was spawned
            return 0
        print(
            f"slapd serving {server.url} ({settings.ldap_base_dn}) from {workdir}; Ctrl-C stops it",
            flush=True,
        )
        code = server.wait()
    except KeyboardInterrupt:
        code = 0
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    return 0 if stopping or code == 0 else 1


def _whois(args) -> int:
    from rasa_project.authz.errors import DirectoryUnavailable, InvalidStaffId
    from rasa_project.authz.roles import permissions_of
    from rasa_project.authz.service import Authorizer
    from rasa_project.settings import get_settings

    authorizer = Authorizer(get_settings())
    try:
        roles = authorizer.roles_of(args.staff_id)
    except InvalidStaffId:
        print(f"{args.staff_id!r}: not a valid staff id")
        return 2
    except DirectoryUnavailable as exc:
        print(f"directory unavailable: {exc}")
        return 3
    print(
        f"{args.staff_id}: roles={','.join(sorted(roles)) or '-'} "
        f"permissions={','.join(sorted(permissions_of(roles))) or '-'}"
    )
    return 0


def register(sub) -> None:
    ldap = sub.add_parser("ldap", help="the company directory (OpenLDAP slapd)")
    ldap_sub = ldap.add_subparsers(dest="ldap_command", metavar="ACTION")
    serve = ldap_sub.add_parser("serve", help="run a slapd seeded from the fixture in the foreground")
    serve.add_argument("--port", type=int, default=None, help="default: the port of DINGK3_LDAP_URL")
    serve.add_argument("--workdir", default=None, help="default: var/slapd")
    serve.set_defaults(func=_serve)
    whois = sub.add_parser("whois", help="roles and permissions of a DingTalk staff id")
    whois.add_argument("staff_id")
    whois.set_defaults(func=_whois)
