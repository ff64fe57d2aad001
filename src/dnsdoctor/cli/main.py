"""`dnsdoctor`: parse options, call the library, render, and map the outcome to an exit code."""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from dnsdoctor import __version__
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.errors import DoctorError, EnvironmentMissingError, UsageError

# command name -> the module that registers it; only the one being run is imported (each pulls
# in its own evidence readers and rules), unless help or an error needs them all.
_COMMANDS = {
    "pcap": "dnsdoctor.cli.pcap_command",
    "node": "dnsdoctor.cli.node_command",
    "coredns": "dnsdoctor.cli.coredns_command",
    "explain": "dnsdoctor.cli.explain_command",
    "lab": "dnsdoctor.cli.lab_command",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"run `{self.prog} --help`")


def _wanted(argv: Sequence[str] | None) -> list[str]:
    """The command modules to register: just the one named, when argv names one."""
    for arg in argv or ():
        if arg.startswith("-"):
            if arg in ("-h", "--help", "--version"):
                break
            continue
        if arg in _COMMANDS:
            return [_COMMANDS[arg]]
        break
    return list(_COMMANDS.values())


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dnsdoctor",
        description="Find out why DNS resolution fails intermittently, with evidence.",
    )
    parser.add_argument("--version", action="version", version=f"dnsdoctor {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in _wanted(argv):
        importlib.import_module(module).register(sub)
    return parser


def run(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    debug = argv is not None and "--debug" in argv
    try:
        args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
        debug = args.debug
        if args.command is None:
            build_parser().print_help(env.stdout)
            return ExitCode.ERROR
        return int(args.handler(args, env))
    except KeyboardInterrupt:
        env.stderr.write("dnsdoctor: interrupted\n")
        return ExitCode.INTERRUPTED
    except DoctorError as exc:
        _report(env, str(exc), exc.hint, debug)
        return ExitCode.ERROR
    except BrokenPipeError:
        return ExitCode.ERROR
    except Exception as exc:  # the CLI edge: report, never a bare traceback
        _report(
            env,
            f"internal error: {exc!r}",
            "rerun with --debug and report it",
            bool(debug),
        )
        return ExitCode.ERROR


def _report(env: Environment, message: str, hint: str, debug: bool) -> None:
    if debug:
        env.stderr.write(traceback.format_exc())
    tail = f" — {hint}" if hint else ""
    env.stderr.write(f"dnsdoctor: error: {message}{tail}\n")


def main() -> None:
    raise SystemExit(run())


__all__ = ["EnvironmentMissingError", "main", "run"]
