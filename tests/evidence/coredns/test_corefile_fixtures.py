"""The real Corefiles and ConfigMaps (tests/data/coredns/corefiles/README.md) parse as CoreDNS
reads them, and every file:line we report points at the line that says it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnsdoctor.evidence.coredns.configmap import load_configmap
from dnsdoctor.evidence.coredns.corefile import Corefile, Directive, load_corefile

FIXTURES = "coredns/corefiles"
CONFIGMAPS = [
    "kubeadm-configmap.yaml",
    "k3s-coredns.yaml",
    "aks-coredns.yaml",
    "nodelocaldns.yaml",
    "k8s-docs-stubdomain-configmap.yaml",
    "coredns-1.2-proxy-configmap.yaml",
]


def walk(directives: tuple[Directive, ...]) -> list[Directive]:
    found = []
    for directive in directives:
        found.append(directive)
        found += walk(directive.block or ())
    return found


def assert_locations_point_at_source(corefile: Corefile) -> int:
    """Each server key, directive and argument sits on the line its location names."""
    checked = 0
    for server in corefile.servers:
        for key in server.keys:
            source = Path(key.location.path).read_text().splitlines()
            assert key.text in source[key.location.line - 1]
        for directive in walk(server.plugins):
            source = Path(directive.location.path).read_text().splitlines()
            words = source[directive.location.line - 1].split()
            assert directive.name in words, (directive, words)
            for arg in directive.args:
                text = Path(arg.location.path).read_text().splitlines()[arg.location.line - 1]
                assert arg.text in text
            checked += 1
    return checked


@pytest.mark.parametrize("name", CONFIGMAPS)
def test_configmap_locations_are_yaml_lines(data, name):
    corefile = load_configmap(data(f"{FIXTURES}/{name}"))
    assert corefile.servers
    assert all(not d.fatal for d in corefile.defects)
    assert assert_locations_point_at_source(corefile) >= 5


def test_kubeadm_default_structure(data):
    corefile = load_configmap(data(f"{FIXTURES}/kubeadm-configmap.yaml"))
    (server,) = corefile.servers
    assert [(k.zone, k.port) for k in server.keys] == [(".", 53)]
    names = [p.name for p in server.plugins]
    assert names[:3] == ["errors", "health", "ready"]
    assert names[-3:] == ["loop", "reload", "loadbalance"]
    kubernetes = server.plugin("kubernetes")
    assert kubernetes is not None
    assert kubernetes.arg_texts == ("cluster.local", "in-addr.arpa", "ip6.arpa")
    assert kubernetes.child("pods").arg_texts == ("insecure",)
    assert kubernetes.child("fallthrough").arg_texts == ("in-addr.arpa", "ip6.arpa")
    cache = server.plugin("cache")
    assert [d.arg_texts for d in cache.children("disable")] == [
        ("success", "cluster.local"),
        ("denial", "cluster.local"),
    ]
    (fwd,) = corefile.forward_upstreams()
    assert fwd.from_zone == "."
    assert [(u.text, u.kind) for u in fwd.to] == [("/etc/resolv.conf", "file")]
    assert fwd.option("max_concurrent") == ("1000",)
    assert fwd.setting("max_fails") == "2"  # forward's default, not written
    yaml_line = Path(fwd.location.path).read_text().splitlines()[fwd.location.line - 1]
    assert yaml_line.strip() == "forward . /etc/resolv.conf {"


def test_eks_json_configmap_names_the_value_and_its_line(data):
    corefile = load_configmap(data(f"{FIXTURES}/eks-coredns.json"))
    (fwd,) = corefile.forward_upstreams()
    assert fwd.location.path.endswith("eks-coredns.json (configmap coredns, data.Corefile)")
    import json

    text = json.loads(data(f"{FIXTURES}/eks-coredns.json").read_text())["data"]["Corefile"]
    assert text.splitlines()[fwd.location.line - 1].strip() == "forward . /etc/resolv.conf"


def test_aks_imports_coredns_custom_keys(data):
    corefile = load_configmap(
        data(f"{FIXTURES}/aks-coredns.yaml"), extra=[data(f"{FIXTURES}/aks-coredns-custom.yaml")]
    )
    assert [s.label for s in corefile.servers] == [".:53", "puglife.local:53"]
    root = corefile.servers[0]
    hosts = root.plugin("hosts")
    assert hosts is not None, "test.override is spliced into the . block"
    assert hosts.location.path.endswith("aks-coredns-custom.yaml")
    assert hosts.via == ("file /etc/coredns/custom/test.override",)
    assert [c.name for c in hosts.block or ()][-1] == "fallthrough"
    specs = {s.server.label: s for s in corefile.forward_upstreams()}
    custom = specs["puglife.local:53"]
    assert [u.address for u in custom.to] == ["192.11.0.1:53"]
    assert assert_locations_point_at_source(corefile) > 10
    assert not corefile.defects


def test_aks_without_custom_reports_optional_imports(data):
    corefile = load_configmap(data(f"{FIXTURES}/aks-coredns.yaml"))
    patterns = sorted(i.pattern for i in corefile.imports)
    assert patterns == ["custom/*.override", "custom/*.server"]
    assert all(d.minor and not d.fatal for d in corefile.defects)
    assert len(corefile.defects) == 2


def test_nodelocal_placeholders_are_kept_and_listed(data):
    corefile = load_configmap(data(f"{FIXTURES}/nodelocaldns.yaml"))
    assert corefile.is_nodelocal
    assert [k.zone for s in corefile.servers for k in s.keys] == [
        "__pillar__dns__domain__.",
        "in-addr.arpa.",
        "ip6.arpa.",
        ".",
    ]
    unresolved = {p.name for p in corefile.unresolved("pillar")}
    assert unresolved == {
        "__PILLAR__DNS__DOMAIN__",
        "__PILLAR__LOCAL__DNS__",
        "__PILLAR__DNS__SERVER__",
        "__PILLAR__CLUSTER__DNS__",
        "__PILLAR__UPSTREAM__SERVERS__",
    }
    kinds = [u.kind for s in corefile.forward_upstreams() for u in s.to]
    assert kinds == ["placeholder"] * 4
    assert corefile.forward_upstreams()[-1].to[0].reads_resolv_conf


def test_nodelocal_placeholders_resolved_when_given(data):
    pillars = {
        "__PILLAR__DNS__DOMAIN__": "cluster.local",
        "__PILLAR__LOCAL__DNS__": "169.254.20.10",
        "__PILLAR__DNS__SERVER__": "10.96.0.10",
        "__PILLAR__CLUSTER__DNS__": "10.96.0.11",
        "__PILLAR__UPSTREAM__SERVERS__": "/etc/resolv.conf",
    }
    corefile = load_configmap(data(f"{FIXTURES}/nodelocaldns.yaml"), pillars=pillars)
    assert not corefile.unresolved()
    assert corefile.servers[0].keys[0].zone == "cluster.local."
    binds = corefile.servers[0].plugin("bind")
    assert binds.arg_texts == ("169.254.20.10", "10.96.0.10")
    upstreams = [u.address for s in corefile.forward_upstreams() for u in s.to]
    assert upstreams == ["10.96.0.11:53"] * 3 + ["/etc/resolv.conf"]
    assert corefile.is_nodelocal


def test_rendered_deployment_corefile_from_disk(data):
    corefile = load_corefile(data(f"{FIXTURES}/coredns-deployment.Corefile"))
    assert assert_locations_point_at_source(corefile) >= 10
    assert corefile.servers[0].plugin("kubernetes").arg_texts[0] == "cluster.local"


def test_unrendered_deployment_template_is_a_typed_error(data):
    from dnsdoctor.evidence.coredns.corefile import CorefileError

    path = data(f"{FIXTURES}/coredns-deployment.Corefile.sed")
    with pytest.raises(CorefileError) as info:
        load_corefile(path)
    assert f"{path}:1:" in str(info.value)
    assert "never closed" in str(info.value)
