"""Drift between the upstreams CoreDNS uses (logs, metrics) and the node's resolv.conf now,
and a saved node report read back as node evidence."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.audit.node import NodeOptions, audit_node
from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns.corefile import load_corefile
from dnsdoctor.evidence.coredns.drift import node_servers, upstream_drift
from dnsdoctor.evidence.coredns.logs import parse_lines
from dnsdoctor.evidence.coredns.metrics import load_metrics
from dnsdoctor.evidence.coredns.node_report import load_node_report
from dnsdoctor.render.node_report import node_json

OPTIONS = NodeOptions(libc=False, clock=False)


def _seed(data):
    path = data("coredns/seed/coredns-kubectl.log")
    with path.open(encoding="utf-8") as handle:
        logs = parse_lines(handle, str(path))
    metrics = load_metrics(
        [
            str(data("coredns/metrics/seed-before.prom")),
            str(data("coredns/metrics/seed-after.prom")),
        ]
    )
    return logs, metrics


def _node(data, name):
    return audit_node(str(data(name)), OPTIONS)[1]


def test_after_the_fix_the_removed_upstream_is_stale_and_the_new_one_unused(data):
    logs, metrics = _seed(data)
    drift = upstream_drift(logs, metrics, _node(data, "coredns/drift/node-after-fix"), None)
    assert not isinstance(drift, str)
    assert [u.address for u in drift.stale] == ["10.225.30.181:53"]
    stale = drift.stale[0]
    assert stale.log_lines == 13
    assert "coredns_forward_requests_total" in stale.series
    assert drift.matched == ["10.0.0.2:53"]
    assert [(s.address, s.line) for s in drift.unused] == [("10.0.0.3", 3)]
    assert drift.assumed_resolv_conf


def test_seed_node_matches_what_coredns_uses(data):
    logs, metrics = _seed(data)
    drift = upstream_drift(logs, metrics, _node(data, "coredns/seed/node"), None)
    assert not isinstance(drift, str)
    assert drift.stale == []
    assert drift.unused == []
    assert sorted(drift.matched) == ["10.0.0.2:53", "10.225.30.181:53"]


def test_logs_alone_judge_stale_but_not_unused(data):
    logs, _ = _seed(data)
    drift = upstream_drift(logs, None, _node(data, "coredns/drift/node-after-fix"), None)
    assert not isinstance(drift, str)
    assert [u.address for u in drift.stale] == ["10.225.30.181:53"]
    assert drift.unused == []
    assert "no metrics" in drift.unused_not_judged


def test_explicit_forward_and_sequential_policy(data):
    logs, metrics = _seed(data)
    node = _node(data, "coredns/drift/node-after-fix")
    explicit = load_corefile(".:53 {\n    forward . 10.225.30.181 10.0.0.2\n}\n", path="Corefile")
    assert "explicit addresses" in str(upstream_drift(logs, metrics, node, explicit))
    sequential = load_corefile(
        ".:53 {\n    forward . /etc/resolv.conf {\n        policy sequential\n    }\n}\n",
        path="Corefile",
    )
    drift = upstream_drift(logs, metrics, node, sequential)
    assert not isinstance(drift, str)
    assert [u.address for u in drift.stale] == ["10.225.30.181:53"]
    assert drift.unused == []
    assert "sequential" in drift.unused_not_judged


def test_no_node_is_a_reason_not_a_guess(data):
    logs, metrics = _seed(data)
    assert "no --node-root" in str(upstream_drift(logs, metrics, None, None))


def test_node_report_round_trip_keeps_nameservers_and_origins(data, tmp_path):
    report, audit = audit_node(str(data("coredns/seed/node")), OPTIONS)
    saved = tmp_path / "node.json"
    saved.write_text(json.dumps(node_json(report, audit)))
    loaded = load_node_report(str(saved))
    assert node_servers(loaded) == node_servers(audit)
    _, servers = node_servers(loaded)
    stray = next(s for s in servers if s.address == "10.225.30.181")
    assert [(o.path, o.line) for o in stray.origins] == [("/etc/resolvconf/resolv.conf.d/base", 1)]
    assert loaded.pod_resolv.declared_nameservers()[1].line == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a node report"),
        ('{"provenance": [{"entries": []}]}', "damaged node report"),
        ('{"provenance": [{"asked": "/etc/resolv.conf", "entries": [{"kind": "x"}]}]}', "damaged"),
    ],
)
def test_bad_node_report_is_an_input_error(tmp_path, text, message):
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_node_report(str(path))


def test_missing_node_report_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read node report"):
        load_node_report(str(tmp_path / "missing.json"))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ENTRY = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["nameserver", "search", "option", "x"]),
        "value": st.text(max_size=6),
        "line": st.integers(-5, 20000),
    },
    optional={"origins": JSONISH},
)
PROVENANCE = st.fixed_dictionaries(
    {"asked": st.text(max_size=6)},
    optional={
        "exists": st.booleans(),
        "entries": st.lists(ENTRY | JSONISH, max_size=4),
        "upstream": JSONISH,
        "path": JSONISH,
    },
)


@settings(deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["provenance", "kubelet", "root"]),
        st.lists(PROVENANCE | JSONISH, max_size=3) | JSONISH,
    )
)
def test_node_report_reader_never_crashes(tmp_path_factory, document):
    path = tmp_path_factory.mktemp("r") / "r.json"
    path.write_text(json.dumps(document))
    try:
        audit = load_node_report(str(path))
    except InputError:
        return
    node_servers(audit)
