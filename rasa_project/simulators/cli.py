"""`dingk3 sim k3|dingtalk`: run a protocol-faithful simulator on loopback."""

from __future__ import annotations


def register(sub) -> None:
    sim = sub.add_parser("sim", help="run a simulator (K/3 Cloud or DingTalk)")
    which = sim.add_subparsers(dest="sim", metavar="SIM")
    try:
        from rasa_project.simulators.k3cloud.cli import register as register_k3
    except ModuleNotFoundError:
        register_k3 = None
    try:
        from rasa_project.simulators.dingtalk.cli import register as register_dt
    except ModuleNotFoundError:
        register_dt = None
    if register_k3:
        register_k3(which)
    if register_dt:
        register_dt(which)
