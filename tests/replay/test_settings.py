"""resolv.conf as musl 1.2.3 and glibc 2.36 read it: limits, defaults, and no input crashes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.replay.musl_1_2_3 import deadline
from dnsdoctor.replay.settings import ResolverSettings, parse_resolv_conf, read_resolv_conf

# The pod resolv.conf kubelet writes for ClusterFirst (Kubernetes docs, "DNS for Services and Pods").
KUBERNETES = """nameserver 10.96.0.10
search default.svc.cluster.local svc.cluster.local cluster.local
options ndots:5
"""


def test_kubernetes_pod_file() -> None:
    conf = parse_resolv_conf(KUBERNETES)
    musl = conf.for_musl()
    assert musl.nameservers == ("10.96.0.10",)
    assert musl.search == ("default.svc.cluster.local", "svc.cluster.local", "cluster.local")
    assert (musl.ndots, musl.attempts, musl.timeout) == (5, 2, 5)


def test_each_library_applies_its_own_limits() -> None:
    text = "nameserver 10.0.0.1\noptions timeout:90 attempts:9 ndots:20 rotate single-request\n"
    conf = parse_resolv_conf(text)
    musl, glibc = conf.for_musl(), conf.for_glibc()
    assert (musl.timeout, musl.attempts, musl.ndots) == (60, 9, 15)
    assert (glibc.timeout, glibc.attempts, glibc.ndots) == (30, 5, 15)
    assert glibc.flags == {"rotate", "single-request"}
    assert not musl.flags


def test_at_most_three_nameservers_and_bad_lines_ignored() -> None:
    text = "nameserver 1.1.1.1\nnameserver nonsense\nnameserver ::1\nnameserver 2.2.2.2\n"
    text += "nameserver 3.3.3.3\n# comment\noptions attempts:0\n"
    conf = parse_resolv_conf(text)
    assert conf.for_glibc().nameservers == ("1.1.1.1", "::1", "2.2.2.2")
    assert conf.for_musl().attempts == 1  # musl: attempts:0 means 1


def test_musl_deadline_follows_its_retry_loop() -> None:
    # timeout 5000 ms / attempts 3 = 1666 ms rounds: the fourth round starts at 4998 < 5000.
    assert deadline(0.0, ResolverSettings(timeout=5, attempts=3)) == pytest.approx(6.664)
    assert deadline(0.0, ResolverSettings(timeout=1, attempts=2)) == pytest.approx(1.0)


def test_unreadable_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_resolv_conf(tmp_path / "missing")
    binary = tmp_path / "binary"
    binary.write_bytes(b"nameserver \0\1\2")
    with pytest.raises(InputError):
        read_resolv_conf(binary)


@settings(deadline=None)
@given(st.text())
def test_no_text_crashes_the_parser(text: str) -> None:
    conf = parse_resolv_conf(text)
    for view in (conf.for_musl(), conf.for_glibc()):
        assert view.nameservers is not None
        assert 1 <= len(view.nameservers) <= 3
        assert 1 <= view.attempts <= 10
        assert 0 <= view.timeout <= 60
        assert view.ndots <= 15
