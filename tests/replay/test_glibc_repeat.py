"""glibc's buffer-growth repeat: one getaddrinfo call, two rounds on the wire (a real recording)."""

from __future__ import annotations

import json
from pathlib import Path

from dnsdoctor.replay.glibc_repeat import overflows

DATA = Path(__file__).parent / "data" / "glibc-repeat"


def test_the_first_buffer_holds_25_addresses_of_a_short_name_not_26():
    name = "glibc.lab.test."
    assert not overflows(25, name)
    assert overflows(26, name)
    assert not overflows(2, name)


def test_recorded_repeat_is_one_call_that_ends_with_the_second_round(cli, tmp_path):
    record = json.loads((DATA / "matrix-058.json").read_text())
    (got,) = [c["got"] for c in record["clients"] if c["client"] == "gai-glibc"]
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(record["scenario"]["resolv_conf"])
    result = cli(
        "pcap",
        "--format",
        "json",
        "--fail-on",
        "never",
        "--client",
        "glibc-2.36",
        "--resolv-conf",
        str(resolv),
        str(DATA / "matrix-058.pcap"),
    )
    calls = [
        c for c in json.loads(result.stdout)["replay"]["calls"] if c["names"] == [got["name"] + "."]
    ]
    assert len(calls) == 1  # the repeat is folded into the call it repeats
    predicted = calls[0]["results"]["glibc-2.36"]
    assert sorted(predicted["ipv4"]) == sorted(got["ipv4"])
    assert sorted(predicted["ipv6"]) == sorted(got["ipv6"])
    assert abs(predicted["elapsed_ms"] - got["elapsed_ms"]) <= 0.1 * got["elapsed_ms"]
    assert got["elapsed_ms"] > 1900  # two dead-server timeouts, not one
    assert any("ERANGE" in note for note in predicted["notes"])
