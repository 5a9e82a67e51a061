"""The operator console at ``/console`` (README "Operator console"): overview, dead
letters, held senders and reports, behind operator logins; mounted by :mod:`gateway.app`
when ``[console] enabled``."""

from gateway.console.app import build_console
from gateway.console.host import ConsoleHost, ConsoleStore
from gateway.console.paths import PREFIX

__all__ = ["PREFIX", "ConsoleHost", "ConsoleStore", "build_console"]
