"""Kernel evidence from copies of real /proc files (tests/data/node/proc/README.md says which)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.node.kernel import (
    KernelSources,
    collect_kernel,
    parse_conntrack_stat,
    parse_snmp,
    parse_snmp6,
)
from dnsdoctor.evidence.node.kernel_netfilter import (
    kube_proxy_from_config,
    kube_proxy_from_iptables,
    notrack_addresses,
    notrack_dns_rules,
)


def kernel(data, name, **sources):
    return collect_kernel(KernelSources(proc=str(data(f"node/proc/{name}")), **sources))


def test_real_host_counters_parse_per_cpu(data):
    ev = kernel(data, "host-6.18")
    stat = ev.conntrack
    assert stat is not None
    assert stat.defects == []
    assert stat.columns[:3] == ("entries", "clashres", "found")
    assert len(stat.per_cpu) == 2
    assert stat.total("insert_failed") == 0
    assert ev.release == "6.18.44-fc-v669"
    assert ev.conntrack_max == 262144
    assert {"InDatagrams", "InErrors", "RcvbufErrors"} <= set(ev.udp)
    assert "RcvbufErrors" in ev.udp6
    assert "InErrors" in ev.udp6
    assert ev.uptime is not None
    assert ev.uptime > 0


def test_real_namespace_with_traffic_counts_its_entries_once(data):
    ev = kernel(data, "netns-loopback")
    # "entries" is the table size repeated on every CPU line: not summed
    assert ev.conntrack.total("entries") == ev.conntrack_count == 8


def test_hand_edited_insert_failed_is_summed_and_cited_per_cpu(data):
    stat = kernel(data, "insert-failed-edited").conntrack
    assert stat.total("insert_failed") == 45
    assert stat.by_cpu("insert_failed") == [(0, 42), (1, 3)]
    assert stat.total("clashres") == 18
    assert stat.total("drop") == 3


def test_older_kernel_header_is_read_by_name(data):
    stat = kernel(data, "kernel-4.19-format").conntrack
    assert stat.has("searched")
    assert not stat.has("clashres")
    assert stat.total("insert_failed") == 8
    assert stat.total("entries") == 0x12C


def test_missing_conntrack_is_a_reason_not_an_error(data):
    ev = kernel(data, "no-conntrack")
    assert ev.conntrack is None
    assert "nf_conntrack is not loaded" in ev.skipped["conntrack"]
    assert "conntrack_table" in ev.skipped
    assert ev.udp  # the UDP counters are still read


def test_a_missing_proc_dir_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a directory"):
        collect_kernel(KernelSources(proc=str(tmp_path / "nope")))


def test_a_missing_iptables_save_file_is_an_input_error(data, tmp_path):
    with pytest.raises(InputError, match="cannot read --iptables-save"):
        kernel(data, "host-6.18", iptables_save=str(tmp_path / "nope"))


def test_not_the_host_root_does_not_run_iptables_save(data):
    ev = kernel(data, "host-6.18")
    assert ev.iptables_source is None
    assert "give --iptables-save" in ev.skipped["iptables"]


def test_nodelocal_dnscache_notrack_rules_from_real_iptables_save(data):
    path = data("node/iptables/nodelocaldns-kube-proxy-iptables.save")
    ev = kernel(data, "host-6.18", iptables_save=str(path))
    assert ev.iptables_source == str(path)
    # node-cache's 4 PREROUTING and 8 OUTPUT port-53 rules; its 8080 health rules are not DNS
    assert len(ev.notrack) == 12
    assert {r.table for r in ev.notrack} == {"raw"}
    assert notrack_addresses(ev.notrack) == ["10.96.0.10", "169.254.20.10"]
    first = ev.notrack[0]
    assert path.read_text().splitlines()[first.line - 1] == first.text
    assert ev.kube_proxy.mode == "iptables"


@pytest.mark.parametrize(
    ("name", "mode"),
    [("kube-proxy-iptables-no-notrack.save", "iptables"), ("kube-proxy-ipvs.save", "ipvs")],
)
def test_kube_proxy_mode_from_iptables_hints(data, name, mode):
    text = data(f"node/iptables/{name}").read_text()
    found = kube_proxy_from_iptables(text, name)
    assert found.mode == mode
    assert "KUBE" in text.splitlines()[found.line - 1]
    assert notrack_dns_rules(text, name) == []


def test_kube_proxy_mode_from_its_config_file_and_configmap(data):
    conf = data("node/kube-proxy/config.conf")
    found = kube_proxy_from_config(conf.read_text(), str(conf))
    assert found.mode == "ipvs"
    assert conf.read_text().splitlines()[found.line - 1] == 'mode: "ipvs"'
    cm = data("node/kube-proxy/configmap-default-mode.yaml")
    default = kube_proxy_from_config(cm.read_text(), str(cm))
    assert default.mode == "iptables"
    assert cm.read_text().splitlines()[default.line - 1].strip() == 'mode: ""'
    assert kube_proxy_from_config("kind: Pod\n", "x") is None


def test_kube_proxy_config_option_wins_over_iptables_hints(data):
    ev = kernel(
        data,
        "host-6.18",
        iptables_save=str(data("node/iptables/kube-proxy-iptables-no-notrack.save")),
        kube_proxy_config=str(data("node/kube-proxy/config.conf")),
    )
    assert ev.kube_proxy.mode == "ipvs"


def test_malformed_rows_are_defects():
    stat = parse_conntrack_stat("entries insert_failed\n0000000g 1\n00000001\n00000002 0a\n", "x")
    assert stat.per_cpu == [{"entries": 2, "insert_failed": 10}]
    assert len(stat.defects) == 2


def test_snmp_needs_matching_name_and_value_lines():
    assert parse_snmp("Udp: InErrors RcvbufErrors\nUdp: 3 4\n") == {
        "InErrors": 3,
        "RcvbufErrors": 4,
    }
    assert parse_snmp("Udp: InErrors RcvbufErrors\nUdp: 3\n") == {}
    assert parse_snmp6("Udp6InErrors 5\nUdpLite6InErrors 9\n") == {"InErrors": 5}


@settings(deadline=None)
@given(st.text())
def test_parsers_never_crash(text):
    stat = parse_conntrack_stat(text, "x")
    assert all(set(row) == set(stat.columns) for row in stat.per_cpu)
    assert isinstance(parse_snmp(text), dict)
    assert isinstance(parse_snmp6(text), dict)
    assert all(r.line >= 1 for r in notrack_dns_rules(text, "x"))
    kube_proxy_from_iptables(text, "x")
    kube_proxy_from_config(text, "x")


@settings(deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**32 - 1), min_size=3, max_size=3), max_size=8))
def test_totals_are_the_sum_of_the_hex_rows(rows):
    text = "entries insert_failed drop\n" + "".join(
        " ".join(f"{v:08x}" for v in row) + "\n" for row in rows
    )
    stat = parse_conntrack_stat(text, "x")
    assert stat.total("insert_failed") == sum(r[1] for r in rows)
    assert stat.total("entries") == max((r[0] for r in rows), default=0)
