"""The web pages (dashboard): sign-in brute force, CSRF, session fixation.

The dashboard is being built; until its sign-in page is served these classes are reported as
pending. What they will try (docs/SECURITY.md, "Web pages", states the requirements):
- brute force: 200+ wrong passwords for one account and across accounts from one address;
  accepted = a sign-in that succeeds with a wrong password, or no lock-out/slow-down after the
  documented number of failures;
- CSRF: every state-changing form posted without its token, with another session's token, from a
  foreign Origin; accepted = any 2xx/3xx that changed something;
- session fixation: a session id chosen before sign-in still valid after it, cookies without
  HttpOnly / Secure / SameSite; accepted = the pre-sign-in id authenticates.
"""

from __future__ import annotations

from devtools.security.context import PENDING, Context, Result

CLASSES = (("signin_bruteforce", "Sign-in brute force"), ("csrf", "CSRF on the web pages"),
           ("session_fixation", "Session fixation"))


def run(ctx: Context) -> list[Result]:
    return [Result(name, title, status=PENDING, note="the dashboard's sign-in page is not served yet")
            for name, title in CLASSES]
