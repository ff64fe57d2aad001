"""`dnsdoctor node` end to end with kernel evidence (--proc fixtures) and --probe against real
loopback servers (unbound, dnsmasq, the lab's server). No query leaves 127.0.0.0/8."""

from __future__ import annotations

import json

from tests.evidence.node.probe_servers import NAME, dnsmasq, lab_server, unbound

FAST = ("--no-libc", "--no-clock")


def node(cli, data, *args, root="control-base-dhcp-only"):
    return cli("node", "--root", str(data(f"node/roots/{root}")), *FAST, *args)


def test_kernel_counters_and_rules_in_json(cli, data):
    result = node(
        cli,
        data,
        "--proc",
        str(data("node/proc/insert-failed-edited")),
        "--iptables-save",
        str(data("node/iptables/nodelocaldns-kube-proxy-iptables.save")),
        "--format",
        "json",
    )
    assert result.code == 1, result.stderr
    doc = json.loads(result.stdout)
    codes = {f["code"] for f in doc["findings"]}
    assert {"DD360", "DD361", "DD362"} <= codes
    kernel = doc["kernel"]
    assert kernel["conntrack"]["total"]["insert_failed"] == 45
    assert kernel["conntrack"]["per_cpu"][0]["insert_failed"] == 42
    assert kernel["kube_proxy"]["mode"] == "iptables"
    assert len(kernel["notrack"]) == 12
    assert doc["probe"] is None  # opt-in


def test_kernel_text_report_and_quiet_real_counters(cli, data):
    result = node(cli, data, "--proc", str(data("node/proc/host-6.18")))
    assert result.code == 0, result.stdout
    assert "Kernel 6.18.44-fc-v669" in result.stdout
    assert "conntrack since boot: insert_failed 0" in result.stdout
    assert "DD36" not in result.stdout.replace("skipped DD36", "")


def test_a_container_root_does_not_read_this_hosts_counters(cli, data):
    doc = json.loads(node(cli, data, "--format", "json").stdout)
    assert doc["kernel"] is None
    assert "give --proc" in {s["code"]: s["reason"] for s in doc["skipped"]}["DD360"]


def test_probe_real_servers_and_a_blackholed_one(cli, data, tmp_path):
    (tmp_path / "u").mkdir()
    (tmp_path / "d").mkdir()
    with (
        unbound(tmp_path / "u") as good,
        dnsmasq(tmp_path / "d") as other,
        lab_server(blackhole=True) as dead,
    ):
        result = node(
            cli,
            data,
            "--probe",
            *("--probe-server", good, "--probe-server", other, "--probe-server", dead),
            *("--probe-name", NAME, "--probe-count", "2", "--probe-timeout", "0.4"),
            "--verbose",
        )
    assert result.code == 1, result.stderr
    out = result.stdout
    # live lines, dnsping-style, then the summary and the findings
    assert f"{good} udp A {NAME} seq=0: NOERROR 1 answer(s) time=" in out
    assert f"{other} tcp AAAA {NAME} seq=1: NOERROR 1 answer(s) time=" in out
    assert f"{dead} udp A {NAME} seq=0: timeout" in out
    assert f"{good} udp: 4/4 answered" in out
    assert "ERROR DD370 probe-server-unreachable" in out
    assert f"{dead} did not answer any of 8 queries (udp: 4 timed out; tcp: 4 timed out)" in out
    assert out.count("DD370 probe-server-unreachable") == 1  # the live servers are not in it


def test_probe_json_slow_and_udp_only_servers(cli, data):
    with lab_server(delay_ms={"A": 1050}) as slow, lab_server(tcp=False) as udp_only:
        result = node(
            cli,
            data,
            "--probe",
            *("--probe-server", slow, "--probe-server", udp_only, "--probe-name", NAME),
            *("--probe-type", "A", "--probe-count", "3", "--probe-timeout", "2"),
            "--format",
            "json",
        )
    assert result.code == 1, result.stderr
    doc = json.loads(result.stdout)
    findings = {(f["code"], f["summary"].split()[0]) for f in doc["findings"]}
    assert ("DD372", slow) in findings
    assert ("DD373", udp_only) in findings
    slow_udp = next(
        s for s in doc["probe"]["stats"] if s["server"] == slow and s["transport"] == "udp"
    )
    assert slow_udp["near_timeouts"]["1s"] == 3
    assert doc["probe"]["questions"] == [f"{NAME} A"]


def test_probe_asks_the_nameservers_of_the_audited_resolv_conf(cli, tmp_path):
    with lab_server(port=53) as server:
        address = server.rsplit(":", 1)[0]
        (tmp_path / "etc").mkdir()
        (tmp_path / "etc/resolv.conf").write_text(f"nameserver {address}\nnameserver bogus\n")
        result = cli(
            "node",
            "--root",
            str(tmp_path),
            *FAST,
            "--probe",
            "--probe-name",
            NAME,
            "--probe-count",
            "1",
            "--format",
            "json",
        )
    doc = json.loads(result.stdout)
    assert doc["probe"]["targets"] == [f"{address}:53"]
    assert doc["probe"]["targets_from"] == "/etc/resolv.conf"
    assert doc["probe"]["stats"][0]["answered"] == 2


def test_bad_probe_server_is_a_usage_error(cli, data):
    result = node(cli, data, "--probe", "--probe-server", "dns.google")
    assert result.code == 2
    assert "dnsdoctor: error: --probe-server: 'dns.google' is not an IP address" in result.stderr


def test_missing_proc_dir_is_an_input_error(cli, data, tmp_path):
    result = node(cli, data, "--proc", str(tmp_path / "none"))
    assert result.code == 2
    assert "not a directory" in result.stderr
