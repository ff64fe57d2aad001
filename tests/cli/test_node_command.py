"""`dnsdoctor node` end to end through the CLI: text, JSON, --expect, errors, hostile roots."""

from __future__ import annotations

import json

import pytest

from dnsdoctor.render.json_report import SCHEMA_VERSION

FAST = ("--no-libc", "--no-clock")


def node(cli, data, name, *args):
    return cli("node", "--root", str(data(f"node/roots/{name}")), *FAST, *args)


def test_text_report_gives_the_seed_sentence_and_kubelet_line(cli, data):
    result = node(cli, data, "seed-resolvconf-base")
    assert result.code == 1, result.stderr
    out = " ".join(result.stdout.replace("│", " ").split())  # panels wrap lines
    assert "kubelet resolvConf: /etc/resolv.conf (from /var/lib/kubelet/config.yaml:10)" in out
    assert "/etc/resolv.conf -> ../run/resolvconf/resolv.conf" in out
    assert (
        "Nameserver 10.225.30.181 in /etc/resolv.conf (-> /run/resolvconf/resolv.conf) line 7"
        in out
    )
    assert "comes from /etc/resolvconf/resolv.conf.d/base:1" in out


def test_control_exits_zero_without_a_stray_sentence(cli, data):
    result = node(cli, data, "control-base-dhcp-only")
    assert result.code == 0, result.stdout
    assert "DD301" not in result.stdout
    assert "No DNS problems found on this node." in result.stdout


def test_json_has_the_shared_schema_and_the_provenance_tree(cli, data):
    result = node(cli, data, "dhclient-prepend", "--format", "json")
    assert result.code == 1
    doc = json.loads(result.stdout)
    for key in ("schema_version", "source", "findings", "skipped", "internal_errors", "stats"):
        assert key in doc
    assert doc["schema_version"] == SCHEMA_VERSION
    (stray,) = [f for f in doc["findings"] if f["code"] == "DD301"]
    tree = doc["provenance"][0]
    assert tree["asked"] == "/etc/resolv.conf"
    assert tree["symlinks"] == [
        {"link": "/etc/resolv.conf", "target": "../run/resolvconf/resolv.conf"}
    ]
    entry = next(e for e in tree["entries"] if e["value"] == "10.225.30.181")
    mechanisms = {o["mechanism"] for o in entry["origins"]}
    assert "dhclient.conf prepend" in mechanisms
    assert doc["kubelet"]["resolv_conf"] == "/etc/resolv.conf"
    assert doc["resolv_conf"][0]["musl"]["nameservers"][0]["address"] == "10.225.30.181"
    assert doc["effects"][0]["address"] == "10.225.30.181"
    lines = [e for e in stray["evidence"] if e["kind"] == "line"]
    assert ("/etc/dhcp/dhclient.conf", 7) in {(e["path"], e["line"]) for e in lines}


def test_expect_flag_and_output_file(cli, data, tmp_path):
    out = tmp_path / "report.json"
    result = node(
        cli,
        data,
        "seed-resolvconf-base",
        "--expect",
        "172.16.0.2",
        "--format",
        "json",
        "-o",
        str(out),
    )
    assert result.code == 1
    assert result.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["expect"] == ["172.16.0.2/32"]
    assert [f["code"] for f in doc["findings"] if f["code"] == "DD302"] == ["DD302"]


def test_fail_on_error_passes_a_warning_only_root(cli, data):
    assert node(cli, data, "pod-long-search", "--fail-on", "error").code == 0
    assert node(cli, data, "pod-long-search").code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--expect", "10.0.0.999"), "--expect: '10.0.0.999' is neither an IP address nor a CIDR"),
        (("--format", "xml"), "invalid choice"),
    ],
)
def test_usage_errors_exit_2_without_traceback(cli, data, args, message):
    result = node(cli, data, "control-base-dhcp-only", *args)
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_root_is_a_clear_error(cli, tmp_path):
    result = cli("node", "--root", str(tmp_path / "nope"), *FAST)
    assert result.code == 2
    assert result.stderr.startswith("dnsdoctor: error: ")
    assert "cannot open as a root directory" in result.stderr


def test_hostile_root_is_read_safely_and_refusals_reported(cli, tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/resolv.conf").symlink_to("/proc/self/root/etc/resolv.conf")
    (tmp_path / "proc").symlink_to("/proc")  # absolute: means <root>/proc, a loop, never the host
    result = cli("node", "--root", str(tmp_path), *FAST, "--format", "json")
    doc = json.loads(result.stdout)
    assert any("symlinks" in r for r in doc["refused"])
    assert doc["provenance"][0]["exists"] is False
    assert "DD348" in {f["code"] for f in doc["findings"]}


def test_libc_collector_is_called_when_present(cli, data):
    result = cli(
        "node",
        "--root",
        str(data("node/roots/seed-resolvconf-base")),
        "--no-clock",
        "--format",
        "json",
    )
    doc = json.loads(result.stdout)
    assert doc["internal_errors"] == []
    assert doc["libcs"] is not None


def test_text_report_lists_pod_resolv_conf_files_with_their_owner(cli, data):
    result = node(cli, data, "containerd-pods")
    assert "Container and pod resolv.conf files (2):" in result.stdout
    assert "pod shop/web-0" in result.stdout
    assert "(containerd, pod network)" in result.stdout
    assert "sandboxes/" in result.stdout
