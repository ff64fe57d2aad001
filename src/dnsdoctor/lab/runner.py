"""Run a lab scenario: real resolver clients against fault-injecting servers, captured.

``run_scenario(name, out_dir)`` checks the prerequisites (root, util-linux ``unshare``,
``ip``, ``mount``, ``tcpdump``, the compilers for the clients it needs), builds the clients,
and runs ``python -m dnsdoctor.lab._inside`` under
``unshare -n -m --propagation private``: a fresh network namespace that holds only ``lo``
and a private mount namespace, so the per-scenario /etc/resolv.conf never reaches the host.
It writes ``<out_dir>/<name>.pcap`` and ``<out_dir>/<name>.json`` (scenario parameters,
client results, whether each matched its expectation, server logs, elapsed time), then
checks that every IP address in the capture - including the headers quoted inside ICMP
errors - is in 127.0.0.0/8 or ::1. Nothing here reads the capture with
`dnsdoctor.evidence.capture`: it has its own few lines of pcap parsing.

Command line: ``python -m dnsdoctor.lab.runner OUT_DIR [SCENARIO ...]`` (all when none),
``python -m dnsdoctor.lab.runner --samples samples/ [SCENARIO ...]`` to re-record bundled samples,
or ``python -m dnsdoctor.lab.runner --write-expected samples/expected.json`` to regenerate the
samples' rule expectations from the scenario data (`expected_json`).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dnsdoctor.errors import DoctorError, EnvironmentMissingError
from dnsdoctor.lab import build, frames
from dnsdoctor.lab.scenarios import RULES, SCENARIOS, Scenario, get

PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # the directory holding `dnsdoctor/`
RUN_TIMEOUT = 120.0


class LabRunError(DoctorError):
    """A lab run broke (a process failed inside the namespace, a safety check tripped)."""

    hint = "rerun with --debug; the lab's JSON record and stderr say which step failed"


def check_prerequisites(scenario: Scenario | None = None) -> None:
    """Raise EnvironmentMissingError naming the first thing this machine lacks."""
    if os.geteuid() != 0:
        raise EnvironmentMissingError(
            "root missing: the lab needs root for network namespaces and tcpdump",
            hint="run as root (or in a container with CAP_SYS_ADMIN and CAP_NET_ADMIN)",
        )
    for tool, hint in (
        ("unshare", "apt-get install util-linux"),
        ("ip", "apt-get install iproute2"),
        ("mount", "apt-get install mount"),
        ("tcpdump", "apt-get install tcpdump"),
    ):
        build.require_tool(tool, hint)
    if scenario is not None:
        for client in {c.client for c in scenario.clients}:
            tool, hint = build._TOOLS[client]
            build.require_tool(tool, hint)
    probe = subprocess.run(
        ["unshare", "-n", "-m", "--propagation", "private", "true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise EnvironmentMissingError(
            f"network namespaces missing: unshare -n -m failed: {probe.stderr.strip()}",
            hint="run as root on a kernel that allows unprivileged-free unshare(CLONE_NEWNET)",
        )


# ---- pcap address check ------------------------------------------------------------------

_LOOPBACK4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK6 = ipaddress.ip_address("::1")


def _ip_addresses(packet: bytes, depth: int = 0) -> list[str]:
    """Source/destination addresses of an IP packet, plus those of an ICMP-quoted header."""
    if not packet:
        return []
    version = packet[0] >> 4
    addrs: list[str] = []
    if version == 4 and len(packet) >= 20:
        ihl = (packet[0] & 15) * 4
        addrs += [
            str(ipaddress.IPv4Address(packet[12:16])),
            str(ipaddress.IPv4Address(packet[16:20])),
        ]
        if (
            packet[9] == 1
            and depth == 0
            and len(packet) >= ihl + 8
            and packet[ihl] in (3, 5, 11, 12)
        ):
            addrs += _ip_addresses(packet[ihl + 8 :], depth + 1)
    elif version == 6 and len(packet) >= 40:
        addrs += [
            str(ipaddress.IPv6Address(packet[8:24])),
            str(ipaddress.IPv6Address(packet[24:40])),
        ]
        if packet[6] == 58 and depth == 0 and len(packet) >= 48 and packet[40] < 128:
            addrs += _ip_addresses(packet[48:], depth + 1)
    else:
        addrs.append(f"<non-IP version {version}>")
    return addrs


def pcap_addresses(path: Path) -> list[str]:
    """Every IP address in a classic pcap file written by tcpdump on lo."""
    data = path.read_bytes()
    if len(data) < 24:
        raise ValueError(f"{path}: too short for a pcap")
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise ValueError(f"{path}: not a classic pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    offset = 24
    out: list[str] = []
    while offset + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[offset + 8 : offset + 12])[0]
        frame = data[offset + 16 : offset + 16 + incl]
        offset += 16 + incl
        if linktype == 1:  # Ethernet (tcpdump on lo)
            ethertype = struct.unpack(">H", frame[12:14])[0]
            payload = frame[14:]
            if ethertype not in (0x0800, 0x86DD):
                out.append(f"<ethertype 0x{ethertype:04x}>")
                continue
        elif linktype == 113:  # Linux cooked
            payload = frame[16:]
        elif linktype == 276:  # Linux cooked v2
            payload = frame[20:]
        elif linktype in (12, 101):  # raw IP
            payload = frame
        elif linktype == 0:  # BSD loopback
            payload = frame[4:]
        else:
            raise ValueError(f"{path}: unexpected link type {linktype}")
        out += _ip_addresses(payload)
    return out


def non_loopback_addresses(path: Path) -> list[str]:
    bad = []
    for addr in pcap_addresses(path):
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            bad.append(addr)
            continue
        if not (ip in _LOOPBACK4 if ip.version == 4 else ip == _LOOPBACK6):
            bad.append(addr)
    return sorted(set(bad))


# ---- running -----------------------------------------------------------------------------


def _toolchain_versions() -> dict[str, str]:
    versions = {}
    for key, cmd in (
        ("musl", ["dpkg-query", "-W", "-f", "${Version}", "musl"]),
        ("glibc", ["ldd", "--version"]),
        ("go", ["go", "version"]),
        ("tcpdump", ["tcpdump", "--version"]),
    ):
        versions[key] = build._version(cmd)
    return versions


def run_scenario(name: str | Scenario, out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Run scenario `name`, write <out_dir>/<name>.pcap and .json, return the record."""
    scenario = get(name) if isinstance(name, str) else name
    name = scenario.name
    check_prerequisites(scenario)
    binaries = {c.client: str(build.build_client(c.client)) for c in scenario.clients}
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    pcap = out / f"{name}.pcap"
    record_path = out / f"{name}.json"
    pcap.unlink(missing_ok=True)
    host_resolv = Path("/etc/resolv.conf").read_bytes()

    with tempfile.TemporaryDirectory(prefix=f"dnsdoctor-lab-{name}-") as work:
        cfg = {
            "resolv_conf": scenario.resolv_conf,
            "nsswitch": scenario.nsswitch,
            "hosts": scenario.hosts,
            "servers": [dataclasses.asdict(s) for s in scenario.servers],
            "clients": [dataclasses.asdict(c) for c in scenario.clients],
            "binaries": binaries,
            "pcap": str(pcap),
            "work_dir": work,
            "gap_s": scenario.gap_s,
        }
        env = {k: v for k, v in os.environ.items() if k not in ("RES_OPTIONS", "LOCALDOMAIN")}
        env["PYTHONPATH"] = os.pathsep.join(
            [str(PACKAGE_ROOT), *filter(None, [env.get("PYTHONPATH")])]
        )
        started = time.monotonic()
        proc = subprocess.run(
            [
                "unshare",
                "-n",
                "-m",
                "--propagation",
                "private",
                sys.executable,
                "-m",
                "dnsdoctor.lab._inside",
                json.dumps(cfg),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        elapsed = time.monotonic() - started
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        inside: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        if proc.returncode != 0 or "error" in inside or not lines:
            raise LabRunError(
                f"lab scenario {name} failed (exit {proc.returncode}): "
                f"{inside.get('error', '')}\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
            )
        for server in inside.get("servers", []):
            log = Path(server.pop("log"))
            server["events"] = [
                json.loads(ln) for ln in log.read_text().splitlines() if ln.startswith("{")
            ]

    if Path("/etc/resolv.conf").read_bytes() != host_resolv:
        raise LabRunError("host /etc/resolv.conf changed during the lab run")
    bad = non_loopback_addresses(pcap)
    if bad:
        raise LabRunError(f"{pcap}: non-loopback addresses in capture: {bad}")

    clients = []
    for spec, got in zip(scenario.clients, inside["clients"], strict=True):
        problems = spec.expect.check(got)
        clients.append(
            {
                "client": spec.client,
                "name": spec.name,
                "flags": list(spec.flags),
                "expected": dataclasses.asdict(spec.expect),
                "got": got,
                "matches": not problems,
                "problems": problems,
            }
        )
    record = {
        "scenario": scenario.to_dict(),
        "pcap": str(pcap),
        "pcap_bytes": pcap.stat().st_size,
        "clients": clients,
        "all_match": all(c["matches"] for c in clients),
        "servers": inside.get("servers", []),
        "tcpdump": inside.get("tcpdump", {}),
        "elapsed_s": round(elapsed, 3),
        "toolchain": _toolchain_versions(),
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    record_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    record["record"] = str(record_path)
    return record


def rule_problems(scenario: Scenario, pcap: str | os.PathLike[str], report: Any) -> list[str]:
    """How `report` (from analyze_capture on `pcap`) breaks the scenario's rule declarations."""
    from dnsdoctor.model import Severity

    cited: dict[str, set[int]] = {}
    for finding in report.findings:
        if finding.severity >= Severity.WARNING:
            frames_cited = cited.setdefault(finding.name, set())
            for ev in finding.evidence:
                frame = getattr(ev, "frame", None)
                if isinstance(frame, int):
                    frames_cited.add(frame)
    problems = []
    for fires in scenario.must_fire:
        wanted = set(frames.select(Path(pcap), fires.roles))
        if fires.rule not in cited:
            problems.append(f"{fires.rule} did not fire at warning or above")
        elif not cited[fires.rule] & wanted:
            problems.append(
                f"{fires.rule} cites frames {sorted(cited[fires.rule])}, none of "
                f"{sorted(wanted)} ({'; '.join(r.describe() for r in fires.roles)})"
            )
    problems += [
        f"{rule} fired at warning or above (declared silent)"
        for rule in scenario.must_not_fire
        if rule in cited
    ]
    return problems


def record_samples(samples_dir: str | os.PathLike[str], names: list[str] | None = None) -> None:
    """Re-record the bundled samples: run each scenario that names a sample, copy its pcap.

    Frame numbers in samples/README.md and samples/expected.json are tied to the recorded
    files; after re-recording, check them again with ``tshark -r``.
    """
    dest = Path(samples_dir)
    for name in names or [n for n, s in SCENARIOS.items() if s.sample]:
        scenario = get(name)
        sample_file = scenario.sample
        if sample_file is None:
            raise ValueError(f"scenario {name} has no sample file name")
        if scenario.sample_clients is not None:
            scenario = dataclasses.replace(
                scenario, clients=scenario.clients[: scenario.sample_clients]
            )
        with tempfile.TemporaryDirectory(prefix="dnsdoctor-samples-") as tmp:
            record = run_scenario(scenario, tmp)
            if not record["all_match"]:
                raise RuntimeError(f"{name}: clients did not get what was expected: {record}")
            shutil.copyfile(record["pcap"], dest / sample_file)
            print(f"{sample_file}: {record['pcap_bytes']} bytes")


EXPECTED_SEMANTICS = (
    "Generated from dnsdoctor.lab.scenarios by `python -m dnsdoctor.lab.runner "
    "--write-expected samples/expected.json`; do not edit by hand. For each sample: every "
    "must_fire rule must produce at least one finding at severity warning or above that cites "
    "at least one of the listed frames (1-based frame numbers as tshark shows them). Each list "
    "is the complete set of frames that play the roles named in `roles` (recomputed from the "
    "sample by dnsdoctor.lab.frames; checked by hand with tshark); a finding may cite other "
    "frames too, e.g. the queries of listed responses. Rules in must_not_fire must produce no "
    "finding at warning or above. Rules in neither list are not constrained by this sample."
)


def expected_json(samples_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The rule expectations of every bundled sample, frames recomputed from the sample files."""
    base = Path(samples_dir)
    samples: dict[str, Any] = {}
    for scenario in SCENARIOS.values():
        sample = scenario.sample
        if sample is None:
            continue
        pcap = base / sample
        samples[sample] = {
            "scenario": scenario.name,
            "must_fire": [
                {
                    "rule": f.rule,
                    "frames": frames.select(pcap, f.roles),
                    "roles": [r.describe() for r in f.roles],
                }
                for f in scenario.must_fire
            ],
            "must_not_fire": list(scenario.must_not_fire),
        }
    return {"schema": 1, "semantics": EXPECTED_SEMANTICS, "rules": list(RULES), "samples": samples}


def expected_text(samples_dir: str | os.PathLike[str]) -> str:
    return json.dumps(expected_json(samples_dir), indent=2) + "\n"


def write_expected(path: str | os.PathLike[str]) -> None:
    target = Path(path)
    target.write_text(expected_text(target.parent))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m dnsdoctor.lab.runner OUT_DIR [SCENARIO ...]", file=sys.stderr)
        return 2
    if args[0] == "--write-expected":
        write_expected(args[1] if len(args) > 1 else "samples/expected.json")
        return 0
    if args[0] == "--samples":
        record_samples(args[1], args[2:] or None)
        return 0
    out_dir, names = args[0], args[1:] or list(SCENARIOS)
    status = 0
    for name in names:
        record = run_scenario(name, out_dir)
        for c in record["clients"]:
            got = c["got"]
            mark = "ok " if c["matches"] else "BAD"
            print(
                f"{mark} {name:24} {c['client']:16} {c['name']:18} {got.get('result')} "
                f"{got.get('eai') or ''} v4={got.get('ipv4')} v6={got.get('ipv6')} "
                f"{got.get('elapsed_ms')}ms {'; '.join(c['problems'])}"
            )
        status |= 0 if record["all_match"] else 1
    return status


if __name__ == "__main__":
    raise SystemExit(main())
