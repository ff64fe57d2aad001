"""Docker and containerd resolv.conf files: traced to their container or pod and to the host."""

from __future__ import annotations

import shutil

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.provenance import collect_claims, trace
from dnsdoctor.evidence.node.rootfs import SafeRoot


def scan_of(root_dir):
    root = SafeRoot(root_dir)
    return trace(root, "/etc/resolv.conf", collect_claims(root)).containers


def by_owner(scan, word):
    (found,) = [f for f in scan.files if word in f.owner]
    return found


def test_docker_daemon_dns_and_embedded_dns(data):
    scan = scan_of(data("node/roots/docker-daemon-dns"))
    assert scan.docker_found
    assert not scan.loopback_only
    assert [(c.value, c.where) for c in scan.daemon_dns if c.kind == "nameserver"] == [
        ("10.225.30.181", "/etc/docker/daemon.json:4"),
        ("172.16.0.2", "/etc/docker/daemon.json:5"),
    ]
    web = by_owner(scan, "container web")
    assert web.network == "default bridge"
    assert web.edited is False
    origins = {(o.where, o.mechanism) for o in web.prov.nameserver("10.225.30.181").origins}
    assert ("/etc/docker/daemon.json:4", "Docker daemon.json dns") in origins
    api = by_owner(scan, "shop-api-1")
    assert api.network == "user-defined network shop_default"
    assert api.edited is True  # its resolv.conf.hash no longer matches
    (embedded,) = api.prov.nameserver("127.0.0.11").origins
    assert embedded.mechanism.startswith("written by dockerd: its embedded DNS")
    assert "edited inside the container" in api.prov.regenerated


def test_docker_public_fallback_claims_point_at_the_loopback_line(data):
    scan = scan_of(data("node/roots/docker-loopback-host"))
    assert scan.loopback_only
    assert [c.where for c in scan.loopback_lines] == ["/etc/resolv.conf:2"]
    app = by_owner(scan, "legacy-app")
    (origin,) = app.prov.nameserver("8.8.8.8").origins
    assert origin.where == "/etc/resolv.conf:2"
    assert "default public resolvers" in origin.mechanism


def test_dockerd_reads_the_uplinks_behind_a_stub(data, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data("node/roots/netplan-resolved"), root, symlinks=True)
    (root / "var/lib/docker/containers").mkdir(parents=True)
    scan = scan_of(root)
    assert scan.docker_reads == "/run/systemd/resolve/resolv.conf"
    assert not scan.loopback_only


def test_containerd_sandboxes_are_traced_to_pods_and_node_files(data):
    scan = scan_of(data("node/roots/containerd-pods"))
    coredns = by_owner(scan, "kube-system/coredns")
    assert coredns.runtime == "containerd"
    origins = {o.where for o in coredns.prov.nameserver("10.225.30.181").origins}
    assert {"/etc/resolv.conf:2", "/etc/dhcp/dhclient.conf:7"} <= origins
    web = by_owner(scan, "shop/web-0")
    assert "/var/lib/kubelet/pods/8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d" in web.owner
    (cluster,) = web.prov.nameserver("10.96.0.10").origins
    assert cluster.where == "/var/lib/kubelet/config.yaml:8"
    searches = {e.value: e.origins for e in web.prov.entries if e.kind == "search"}
    assert searches["shop.svc.cluster.local"][0].where == "/var/lib/kubelet/config.yaml:9"
    assert "never updated while the pod lives" in web.prov.regenerated


def test_sandbox_without_bundle_is_reported_without_a_pod(tmp_path):
    box = tmp_path / "var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/abc123"
    box.mkdir(parents=True)
    (box / "resolv.conf").write_text("nameserver 10.96.0.10\n")
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").write_text("nameserver 10.0.0.2\n")
    (found,) = scan_of(tmp_path).files
    assert found.owner == "pod sandbox abc123 (no running bundle: pod unknown)"


@settings(deadline=None)
@given(st.text(max_size=200), st.text(max_size=200))
def test_damaged_runtime_metadata_never_crashes(tmp_path_factory, daemon, hostconfig):
    root = tmp_path_factory.mktemp("docker")
    (root / "etc/docker").mkdir(parents=True)
    (root / "etc/docker/daemon.json").write_text(daemon)
    box = root / "var/lib/docker/containers/x"
    box.mkdir(parents=True)
    (box / "hostconfig.json").write_text(hostconfig)
    (box / "config.v2.json").write_text(hostconfig)
    (box / "resolv.conf").write_text("nameserver 10.0.0.2\n")
    (root / "etc/resolv.conf").write_text("nameserver 127.0.0.1\n")
    scan = scan_of(root)
    assert [f.ident for f in scan.files] == ["x"]
