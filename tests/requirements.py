"""What a test needs from the machine, checked in one place: a missing component FAILS the test.

``make test`` (scripts/bootstrap.sh) installs or starts every component below. A test that needs
one calls ``need(name)`` (fixtures do, and the markers ``postgres``, ``redis``, ``browser``,
``sdk``, ``oa_sdk`` and ``slapd`` do it for the tests they mark, see tests/conftest.py). When the component is
missing the test fails with what is missing and how to get it. It is skipped instead only when
the person running the tests said so::

    DINGK3_ALLOW_SKIP=sdk,browser pytest ...     # names from COMPONENTS, comma-separated

This variable is read here, by the test runner, and nowhere in the product: it decides which
tests may be left out, not how the assistant behaves.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from devtools.slapd import SLAPADD, SLAPD
from rasa_project.settings import PROJECT_ROOT
from tests.browser import chromium_available

ALLOW_SKIP_VARIABLE = "DINGK3_ALLOW_SKIP"
SDK_PYTHON = PROJECT_ROOT / ".venv-sdk" / "bin" / "python"
SDK_MODULES = ("dingtalk_stream", "k3cloud_webapi_sdk")
OA_SDK_PYTHON = PROJECT_ROOT / ".venv-oa" / "bin" / "python"
K8S_VALIDATE = PROJECT_ROOT / ".venv-k8s" / "bin" / "kubernetes-validate"


def _listening(port: int) -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return None
    except OSError as exc:
        return f"nothing answers on 127.0.0.1:{port} ({exc.strerror or type(exc).__name__})"


def _sdk_problem() -> str | None:
    if not SDK_PYTHON.exists():
        return f"{SDK_PYTHON} does not exist"
    probe = subprocess.run([str(SDK_PYTHON), "-c", "import " + ", ".join(SDK_MODULES)], check=False,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    if probe.returncode != 0:
        return f"{SDK_PYTHON} cannot import {', '.join(SDK_MODULES)}: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def _oa_sdk_problem() -> str | None:
    if not OA_SDK_PYTHON.exists():
        return f"{OA_SDK_PYTHON} does not exist"
    probe = subprocess.run([str(OA_SDK_PYTHON), "-c", "import alibabacloud_dingtalk.workflow_1_0.client"],
                           check=False, capture_output=True, text=True, timeout=60)  # fmt: skip
    if probe.returncode != 0:
        return f"{OA_SDK_PYTHON} cannot import alibabacloud_dingtalk: {probe.stderr.strip().splitlines()[-1:]}"
    return None


def _slapd_problem() -> str | None:
    missing = [str(p) for p in (SLAPD, SLAPADD) if not p.exists()]
    return f"{' and '.join(missing)} not installed" if missing else None


def shared_dirs() -> list[Path]:
    """Where the shared/ checkout may be: beside this checkout, or beside the main checkout of a
    git worktree (``git rev-parse --git-common-dir`` names the main repository's .git)."""
    places = [PROJECT_ROOT.parent / "shared"]
    try:
        common = subprocess.run(["git", "rev-parse", "--path-format=absolute", "--git-common-dir"], cwd=PROJECT_ROOT,
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()  # fmt: skip
        places.append(Path(common).parent.parent / "shared")
    except (OSError, subprocess.SubprocessError):
        pass
    return list(dict.fromkeys(places))


def shared_dir() -> Path | None:
    return next((p for p in shared_dirs() if (p / "fixtures").is_dir()), None)


def _shared_problem() -> str | None:
    if shared_dir() is None:
        return "no shared/ checkout (with fixtures/) at " + " or ".join(str(p) for p in shared_dirs())
    return None


@dataclass(frozen=True)
class Component:
    what: str
    problem: Callable[[], str | None]  # None when present
    remedy: str


COMPONENTS: dict[str, Component] = {
    "sdk": Component(".venv-sdk with the official vendor SDKs", _sdk_problem,
                     "make setup (scripts/bootstrap.sh creates .venv-sdk from requirements-sdk.txt)"),
    "oa_sdk": Component(".venv-oa with the official alibabacloud-dingtalk SDK", _oa_sdk_problem,
                        "make setup (scripts/bootstrap.sh creates .venv-oa from requirements-oa.txt)"),
    "browser": Component("headless chromium", lambda: None if chromium_available() else "no chromium binary",
                         "make setup (scripts/bootstrap.sh apt-installs chromium)"),
    "postgres": Component("PostgreSQL on 127.0.0.1:5432", lambda: _listening(5432),
                          "make setup (scripts/bootstrap.sh starts an installed PostgreSQL cluster)"),
    "redis": Component("Redis on 127.0.0.1:6379", lambda: _listening(6379),
                       "make setup (scripts/bootstrap.sh starts an installed redis-server)"),
    "slapd": Component("OpenLDAP slapd and slapadd", _slapd_problem,
                       "make setup (scripts/bootstrap.sh apt-installs slapd and ldap-utils)"),
    "nginx": Component("Debian's nginx (/usr/sbin/nginx)", lambda: None if Path("/usr/sbin/nginx").exists() else
                       "/usr/sbin/nginx does not exist", "bash scripts/bootstrap.sh prod-local (apt-installs nginx)"),
    "k8s": Component(".venv-k8s with kubernetes-validate", lambda: None if K8S_VALIDATE.exists() else
                     f"{K8S_VALIDATE} does not exist", "make setup (scripts/bootstrap.sh creates .venv-k8s)"),
    "shared": Component("the shared/ checkout beside the project", _shared_problem,
                        "check out the project beside its shared/ folder (CI does)"),
}  # fmt: skip


def allowed_to_skip() -> frozenset[str]:
    """The components the runner allows to be missing (``DINGK3_ALLOW_SKIP``)."""
    names = frozenset(n.strip() for n in os.environ.get(ALLOW_SKIP_VARIABLE, "").split(",") if n.strip())
    unknown = names - set(COMPONENTS)
    if unknown:
        raise pytest.UsageError(f"{ALLOW_SKIP_VARIABLE} names unknown components {sorted(unknown)}; "
                                f"known: {', '.join(COMPONENTS)}")  # fmt: skip
    return names


@cache
def missing(name: str) -> str | None:
    """What is wrong with component ``name`` on this machine (None when it is there); checked once."""
    return COMPONENTS[name].problem()


def need(name: str) -> None:
    """Fail the calling test when component ``name`` is missing; skip it only if that is allowed."""
    problem = missing(name)
    if problem is None:
        return
    component = COMPONENTS[name]
    if name in allowed_to_skip():
        pytest.skip(f"{component.what} is missing ({problem}); {ALLOW_SKIP_VARIABLE} allows skipping '{name}'")
    pytest.fail(f"{component.what} is missing: {problem}. Set it up with {component.remedy}, or run with "
                f"{ALLOW_SKIP_VARIABLE}={name} to skip the tests that need it.", pytrace=False)  # fmt: skip
