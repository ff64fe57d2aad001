"""DD306 libc-option-differs.

What it detects:
A resolv.conf whose settings glibc and musl read differently: options musl ignores (`rotate`,
`single-request`, `single-request-reopen`, `use-vc`, `no-aaaa`, `edns0`, `trust-ad`), `timeout`
or `attempts` above glibc's caps (30 s, 5) but within musl's (60 s, 10), and lines one library
skips (musl's 255-byte rule, non-IP nameservers).

Why it matters:
The same node serves glibc and musl containers. `single-request-reopen` is the usual workaround
for conntrack races dropping parallel A/AAAA queries; musl ignores it, so Alpine pods keep
failing after the "fix". `rotate` spreads load for glibc only. A `timeout:45` means 30 s for glibc
and 45 s for musl.

Evidence:
resolv.conf under the root, read as each library reads it.

Example:
/etc/resolv.conf:6: options single-request-reopen, rotate: glibc applies them, musl ignores them.

Fix:
Do not rely on options musl ignores: for the conntrack race use NodeLocal DNSCache or a fixed
kernel; keep timeout <= 30 and attempts <= 5 so both libraries agree.

False positives:
Harmless when no musl program runs under this root (see the libc findings).

References:
glibc resolv/res_init.c (res_setoptions); musl src/network/resolvconf.c; resolv.conf(5).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dnsdoctor.evidence.node.resolv_conf import GLIBC_CAPS, MUSL_CAPS
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.check import CheckRule
from dnsdoctor.rules.node._common import line_evidence, traced_files

IMPORTANT = frozenset({"rotate", "single-request", "single-request-reopen", "use-vc", "no-aaaa"})
MINOR = frozenset({"edns0", "trust-ad"})


class LibcOptionDiffers(CheckRule[Any]):
    code = "DD306"
    name = "libc-option-differs"
    severity = Severity.WARNING
    source = "node"
    evidence_kinds = ("resolv.conf",)

    def check(self, audit: Any) -> Iterable[Finding | Skipped]:
        files = list(traced_files(audit))
        if not files:
            yield self.skipped("no resolv.conf could be read under the root")
        for prov in files:
            differences, lines = _differences(prov.conf)
            if not differences:
                continue
            loud = any(level == Severity.WARNING for level, _ in differences)
            summary = f"{prov.path}: glibc and musl read it differently: " + "; ".join(
                text for _, text in differences
            )
            evidence = tuple(line_evidence(prov, n, "read differently") for n in sorted(lines))
            fix = (
                "Do not rely on options musl ignores; keep timeout <= 30 and attempts <= 5 so "
                "both libraries behave alike."
            )
            severity = Severity.WARNING if loud else Severity.INFO
            yield self.finding(summary, severity=severity, evidence=evidence, fix=fix)


def _differences(conf: Any) -> tuple[list[tuple[Severity, str]], set[int]]:
    glibc, musl = conf.glibc, conf.musl
    found: list[tuple[Severity, str]] = []
    lines: set[int] = set()
    ignored = [o for o in glibc.options if o in IMPORTANT | MINOR]
    if ignored:
        level = Severity.WARNING if set(ignored) & IMPORTANT else Severity.INFO
        found.append(
            (level, f"options {', '.join(ignored)}: glibc applies them, musl ignores them")
        )
        lines |= {glibc.option_lines[o] for o in ignored}
    for name in GLIBC_CAPS:
        g, m = glibc.setting(name), musl.setting(name)
        if g != m:
            found.append(
                (
                    Severity.WARNING,
                    f"{name}: glibc {g} (max {GLIBC_CAPS[name]}), musl {m} (max {MUSL_CAPS[name]})",
                )
            )
            lines |= {glibc.option_lines.get(name) or musl.option_lines.get(name) or 0} - {0}
    gs = [s.value for s in glibc.search]
    ms = [s.value for s in musl.search]
    if gs != ms:
        found.append((Severity.WARNING, f"search list: glibc {_domains(gs)}, musl {_domains(ms)}"))
        lines |= {s.line for s in glibc.search[:1] + musl.search[:1]}
    gn = [s.value for s in glibc.nameservers]
    mn = [s.value for s in musl.nameservers]
    if gn != mn:
        found.append((Severity.WARNING, f"nameservers: glibc {gn}, musl {mn}"))
    return found, lines


def _domains(domains: list[str]) -> str:
    if not domains:
        return "none"
    if len(domains) <= 3:
        return " ".join(domains)
    return f"{len(domains)} domains ({domains[0]} ... {domains[-1]})"
