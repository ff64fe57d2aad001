"""`dnsdoctor`: parse options, call the library, render, and map the outcome to an exit code."""

from __future__ import annotations

import argparse
import traceback
from collections.abc import Sequence

from dnsdoctor import __version__
from dnsdoctor.cli import coredns_command, explain_command, lab_command, node_command, pcap_command
from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.errors import DoctorError, EnvironmentMissingError, UsageError

_COMMANDS = (pcap_command, node_command, coredns_command, explain_command, lab_command)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"run `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dnsdoctor",
        description="Find out why DNS resolution fails intermittently, with evidence.",
    )
    parser.add_argument("--version", action="version", version=f"dnsdoctor {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for command in _COMMANDS:
        command.register(sub)
    return parser


def run(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    env = env or Environment()
    debug = argv is not None and "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
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
