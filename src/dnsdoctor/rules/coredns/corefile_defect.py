"""DD410 corefile-defect.

What it detects:
What the Corefile reader found that CoreDNS rejects or does differently: a file `import` that
matches nothing (a missing literal file stops CoreDNS; an empty glob is only a warning), an
import we could not read here (outside the Corefile's directory), a zone served twice on one
port, a `}` on a plugin's line, a `{` on a line of its own, `{$VAR:default}` (CoreDNS has no
defaults: it looks up a variable named `VAR:default`).

Why it matters:
(Severity: error when CoreDNS refuses the file, info for a glob matching nothing, as k3s's and
AKS's optional `coredns-custom` imports do on most clusters, warning otherwise.)
A fatal defect means CoreDNS refuses the configuration: new pods crash-loop, and `reload` keeps
running the previous Corefile, so the file you read is not what serves queries. A non-fatal one
means part of what you wrote is silently not in effect (an AKS `coredns-custom` key whose name
does not end in `.server` or `.override` is never imported).

Evidence:
The line of each defect.

Example:
Corefile:12 `import custom/*.server`: no file matches (CoreDNS logs a warning and goes on
without it).

Fix:
As each message says: add the missing file or ConfigMap key, split the duplicated zone by port
or `bind`, move the brace.

False positives:
Imports from a ConfigMap not given here (`coredns-custom`): give it too (`--configmap` twice) to
resolve them.

References:
github.com/coredns/caddy caddyfile/parse.go (imports, snippets, globs); CoreDNS manual,
"Configuration"; AKS "Customize CoreDNS".
"""

from __future__ import annotations

from collections.abc import Iterable

from dnsdoctor.evidence.coredns.bundle import CorednsBundle
from dnsdoctor.evidence.coredns.corefile import Corefile
from dnsdoctor.model import Finding, Severity, Skipped
from dnsdoctor.rules.coredns._corefile_view import CorefileRule, line


class CorefileDefect(CorefileRule):
    code = "DD410"
    name = "corefile-defect"
    severity = Severity.ERROR

    def check_corefile(
        self, corefile: Corefile, evidence: CorednsBundle
    ) -> Iterable[Finding | Skipped]:
        for defect in corefile.defects:
            if defect.fatal:
                consequence, severity = "CoreDNS refuses this configuration", Severity.ERROR
            elif defect.minor:
                consequence, severity = "common when that ConfigMap is optional", Severity.INFO
            else:
                consequence, severity = "not fatal, but not what it seems", Severity.WARNING
            yield self.finding(
                f"{defect.location}: {defect.message} ({consequence})",
                evidence=(line(defect.location, defect.message, "corefile defect"),),
                fix="Correct the line named; see `dnsdoctor explain DD410`.",
                severity=severity,
                impact=1.0,
            )
