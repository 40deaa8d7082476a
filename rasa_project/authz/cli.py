"""`dingk3 whois STAFF_ID`: roles and permissions of a DingTalk staff id, asked of the directory."""

from __future__ import annotations


def _whois(args) -> int:
    from rasa_project import wiring
    from rasa_project.authz.errors import DirectoryUnavailable, InvalidStaffId
    from rasa_project.authz.roles import permissions_of

    authorizer = wiring.current().authorizer
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
    whois = sub.add_parser("whois", help="roles and permissions of a DingTalk staff id")
    whois.add_argument("staff_id")
    whois.set_defaults(func=_whois)
