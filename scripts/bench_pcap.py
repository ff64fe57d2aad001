#!/usr/bin/env python3
"""Benchmark `dnsdoctor pcap --format json` against `tshark -T fields` on the same capture.

Generates a realistic capture (Ethernet/IPv4/UDP; A+AAAA lookups from many client sockets to a
few servers; ~5% NXDOMAIN, ~1% unanswered, a few same-ID A/AAAA pairs; see
../shared/baselines/pcap-speed.md), then runs each command --runs times in this process's
children, and prints the median CPU and wall seconds, the ratios, and each one's peak RSS.
Also prints how much of the capture the C fast path claimed (engine/triage.py), and the
per-message cost of dnspython's parser against dnsdoctor's own (the measured reason dnsdoctor
reads messages itself).

    python scripts/bench_pcap.py --packets 1000000            # the issue's speed bar
    python scripts/bench_pcap.py --packets 10000000 --no-tshark --runs 1   # the memory bar
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dns.message
import dns.rcode
import dns.rrset

TSHARK_FIELDS = [
    "frame.time_epoch",
    "ip.src",
    "udp.srcport",
    "dns.id",
    "dns.flags.response",
    "dns.qry.name",
    "dns.qry.type",
    "dns.flags.rcode",
    "ip.dst",
    "udp.dstport",
]


def _message(name: str, qtype: str, response: bool, rcode: int = 0, answers: int = 1) -> bytes:
    query = dns.message.make_query(name, qtype, use_edns=False)
    if not response:
        return query.to_wire()
    reply = dns.message.make_response(query)
    reply.set_rcode(dns.rcode.Rcode(rcode))
    if rcode == 0:
        rdata = [
            f"10.1.{i}.{i + 7}" if qtype == "A" else f"2001:db8::{i + 1}" for i in range(answers)
        ]
        if answers:
            reply.answer.append(dns.rrset.from_text(name, 300, "IN", qtype, *rdata))
    return reply.to_wire()


def _frame(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64, 17, 0, src, dst)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0)
    eth = b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00"
    return eth + ip + udp + payload


def generate(path: Path, packets: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    names = [f"svc{i}.example{i % 13}.com." for i in range(400)]
    templates = {}
    for name in names:
        for qtype in ("A", "AAAA"):
            templates[(name, qtype, "q")] = _message(name, qtype, False)
            templates[(name, qtype, "r")] = _message(name, qtype, True, answers=1 + len(name) % 3)
            templates[(name, qtype, "nx")] = _message(name, qtype, True, rcode=3)
    servers = [bytes([10, 96, 0, 10]), bytes([10, 96, 0, 11]), bytes([10, 0, 0, 2])]
    ts = 1_700_000_000.0
    written = 0
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        while written < packets:
            client = bytes([10, 244, rng.randrange(64), rng.randrange(1, 250)])
            sport = rng.randrange(20000, 60000)
            server = servers[rng.randrange(len(servers))]
            name = names[rng.randrange(len(names))]
            roll = rng.random()
            ident_a = rng.randrange(65536)
            ident_aaaa = ident_a if roll < 0.002 else rng.randrange(65536)  # same-ID pairs
            kind = "nx" if roll > 0.95 else "r"
            records = []
            for qtype, ident in (("A", ident_a), ("AAAA", ident_aaaa)):
                query = bytearray(templates[(name, qtype, "q")])
                query[0:2] = ident.to_bytes(2, "big")
                records.append((ts, _frame(client, server, sport, 53, bytes(query))))
                ts += 0.00002
            for qtype, ident in (("A", ident_a), ("AAAA", ident_aaaa)):
                if rng.random() < 0.01:
                    continue  # unanswered
                reply = bytearray(templates[(name, qtype, kind)])
                reply[0:2] = ident.to_bytes(2, "big")
                ts += rng.expovariate(1 / 0.002)
                records.append((ts, _frame(server, client, 53, sport, bytes(reply))))
            for when, frame in records:
                sec = int(when)
                usec = int((when - sec) * 1e6)
                out.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                out.write(frame)
                written += 1
            ts += rng.expovariate(1 / 0.0005)


def measure(argv: list[str], stdout_path: str | None) -> tuple[float, float, float]:
    """Run argv; return (wall s, CPU s, peak RSS MiB) of that child alone."""
    out = open(stdout_path or os.devnull, "wb")  # noqa: SIM115
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out.close()
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{argv[0]} exited {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def parser_costs(sample: Path) -> tuple[float, float]:
    from dnsdoctor.evidence.dns_message import parse_message

    wires = [_message(f"svc{i}.example.com.", "A", True, answers=2) for i in range(200)]
    rounds = 50
    start = time.perf_counter()
    for _ in range(rounds):
        for w in wires:
            dns.message.from_wire(w)
    theirs = (time.perf_counter() - start) / (rounds * len(wires))
    start = time.perf_counter()
    for _ in range(rounds):
        for w in wires:
            parse_message(w)
    ours = (time.perf_counter() - start) / (rounds * len(wires))
    return theirs * 1e6, ours * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packets", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-tshark", action="store_true")
    parser.add_argument("--keep", help="directory to keep the generated capture in")
    args = parser.parse_args()
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="dnsdoctor-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    capture = workdir / f"bench-{args.packets}.pcap"
    if not capture.exists():
        start = time.perf_counter()
        generate(capture, args.packets)
        print(
            f"generated {capture} ({capture.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - start:.1f} s"
        )
    dnsdoctor = [
        sys.executable,
        "-m",
        "dnsdoctor",
        "pcap",
        "--format",
        "json",
        "--no-progress",
        "-o",
        str(workdir / "report.json"),
        str(capture),
    ]
    tshark = [
        "tshark",
        "-n",
        "-r",
        str(capture),
        "-T",
        "fields",
        *(a for f in TSHARK_FIELDS for a in ("-e", f)),
    ]
    results: dict[str, list[tuple[float, float, float]]] = {"dnsdoctor": [], "tshark": []}
    use_tshark = not args.no_tshark and shutil.which("tshark")
    for _ in range(args.runs):
        results["dnsdoctor"].append(measure(dnsdoctor, None))
        if use_tshark:
            results["tshark"].append(measure(tshark, None))
    print(
        f"\n{args.packets} packets, median of {args.runs} run(s), same file, same machine, same run"
    )
    print(f"{'command':<12}{'wall s':>10}{'CPU s':>10}{'peak RSS MiB':>15}")
    medians = {}
    for name, runs in results.items():
        if not runs:
            continue
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = max(r[2] for r in runs)
        medians[name] = (wall, cpu, rss)
        print(f"{name:<12}{wall:>10.2f}{cpu:>10.2f}{rss:>15.0f}")
    if "tshark" in medians:
        t, d = medians["tshark"], medians["dnsdoctor"]
        print(
            f"\ndnsdoctor vs tshark: {t[1] / d[1]:.1f}x less CPU, {t[0] / d[0]:.1f}x less wall time "
            f"(bar: >= 10x on 1M packets)"
        )
    report = json.loads((workdir / "report.json").read_text())
    fast = report["stats"]["fast_path"]
    if fast["used"]:
        share = fast["claimed_frames"] / max(report["stats"]["packets"], 1)
        print(
            f"fast path: {fast['claimed_lookups']} lookups claimed in C and counted "
            f"({share:.0%} of the packets), {fast['listed_lookups']} of them NXDOMAIN ones rebuilt "
            f"for the listing; {fast['handed_lookups']} half-lost lookups handed to the engine "
            "whole; the rest went through the Python pipeline"
        )
    else:
        print(f"fast path not used: {fast['why']}")
    theirs, ours = parser_costs(capture)
    print(
        f"DNS message parse: dnspython from_wire {theirs:.1f} us/msg, dnsdoctor {ours:.1f} us/msg "
        f"({theirs / ours:.1f}x)"
    )


if __name__ == "__main__":
    main()
