"""`python -m devtools sim k3|dingtalk`: run a protocol-faithful simulator on loopback."""

from __future__ import annotations

from devtools.simulators.dingtalk.cli import register as register_dingtalk
from devtools.simulators.k3cloud.cli import register as register_k3


def register(sub) -> None:
    sim = sub.add_parser("sim", help="run a simulator (K/3 Cloud or DingTalk)")
    which = sim.add_subparsers(dest="sim", metavar="SIM")
    register_k3(which)
    register_dingtalk(which)
