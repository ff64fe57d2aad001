"""`dnsdoctor explain [NAME|CODE]`: a rule's documentation, or the list of rules."""

from __future__ import annotations

import argparse
from typing import Any

from dnsdoctor.cli.environment import Environment
from dnsdoctor.cli.exit_codes import ExitCode
from dnsdoctor.rules.registry import all_rules, find_rule, rule_doc


def register(sub: Any) -> None:
    parser = sub.add_parser("explain", help="explain a rule by code or name, or list the rules")
    parser.add_argument("rule", nargs="?", help="a code (DD101) or name (query-id-collision)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, env: Environment) -> ExitCode:
    if args.rule is None:
        for rule in all_rules():
            first_line = rule_doc(rule).sections.get("What it detects", "").split("\n")[0]
            env.stdout.write(
                f"{rule.code}  {rule.name:<34} {rule.severity.label:<8} {first_line}\n"
            )
        return ExitCode.OK
    env.stdout.write(rule_doc(find_rule(args.rule)).text())
    return ExitCode.OK
