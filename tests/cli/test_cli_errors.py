"""Bad input gets one clear line and exit 2, never a traceback."""

from __future__ import annotations

import gzip


def test_missing_file(cli, tmp_path):
    result = cli("pcap", str(tmp_path / "nope.pcap"))
    assert result.code == 2
    assert result.stderr.startswith("dnsdoctor: error: ")
    assert "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_not_a_capture(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("nameserver 10.0.0.1\n" * 10)
    result = cli("pcap", str(path))
    assert result.code == 2
    assert "dnsdoctor: error:" in result.stderr
    assert " — " in result.stderr
    assert "Traceback" not in result.stderr


def test_empty_file(cli, tmp_path):
    path = tmp_path / "empty.pcap"
    path.write_bytes(b"")
    result = cli("pcap", str(path))
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_gzip_of_garbage(cli, tmp_path):
    path = tmp_path / "junk.pcap.gz"
    path.write_bytes(gzip.compress(b"\x00" * 100))
    result = cli("pcap", str(path))
    assert result.code == 2
    assert "Traceback" not in result.stderr


def test_unknown_option_is_usage_error(cli):
    result = cli("pcap", "--no-such-option", "x.pcap")
    assert result.code == 2
    assert "dnsdoctor: error:" in result.stderr


def test_unknown_rule_is_usage_error(cli):
    result = cli("explain", "DD999")
    assert result.code == 2
    assert "no rule is called" in result.stderr


def test_bad_port(cli, tmp_path):
    path = tmp_path / "x.pcap"
    path.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 20)
    result = cli("pcap", "--port", "70000", str(path))
    assert result.code == 2
    assert "--port" in result.stderr


def test_explain_lists_every_rule(cli):
    result = cli("explain")
    assert result.code == 0
    assert "DD101" in result.stdout
    assert "query-id-collision" in result.stdout
