"""Per-name failure statistics, the query-log join and time spans (evidence level)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.coredns.log_line import duration_text
from dnsdoctor.evidence.coredns.logs import parse_lines
from dnsdoctor.evidence.coredns.names import NO_UPSTREAM, failing_names, names_per_upstream
from dnsdoctor.evidence.coredns.querylog import join_query_log
from dnsdoctor.evidence.coredns.upstreams import upstream_table

STRAY = "10.225.30.181:53"


def _logs(data, name):
    path = data(name)
    with path.open(encoding="utf-8") as handle:
        return parse_lines(handle, str(path))


def test_names_rank_by_failures_and_split_by_upstream(data):
    logs = _logs(data, "coredns/seed/coredns-kubectl.log")
    names, distinct = failing_names(logs)
    assert distinct == 3
    assert [(n.name, n.failures) for n in names] == [
        ("loginspub.xxxxmobile-inc.net.", 7),
        ("accounts.google.com.", 6),
        ("example.org.", 3),
    ]
    assert names[0].by_upstream == {STRAY: 7}
    assert names[0].by_qtype == {"A": 4, "AAAA": 3}
    assert names[0].pods == {"coredns-5d78c9869d-abcde"}
    assert names[2].by_upstream == {"10.0.0.2:53": 3}
    per = names_per_upstream(logs, top=1)
    assert per == {
        STRAY: [("loginspub.xxxxmobile-inc.net.", 7)],
        "10.0.0.2:53": [("example.org.", 3)],
    }


def test_top_cuts_and_probes_and_all_down_errors(data):
    logs = parse_lines(
        [
            "[ERROR] plugin/errors: 2 3797952284163317497.7063757873447144811. HINFO: "
            "read udp 192.168.209.17:36807->20.128.8.8:53: i/o timeout",
            "[ERROR] plugin/errors: 2 Example.COM. A: no healthy proxies",
            "[ERROR] plugin/errors: 2 example.com. AAAA: no healthy proxies",
        ],
        "t",
    )
    names, distinct = failing_names(logs, top=5)
    assert distinct == 1  # the HINFO probe is CoreDNS's own query, names are case-folded
    assert names[0].by_upstream == {NO_UPSTREAM: 2}
    assert failing_names(logs, top=0)[0] == []


def test_query_log_join_gives_a_lower_bound_per_upstream(data):
    logs = _logs(data, "coredns/logs/seed-querylog-kubectl.log")
    joined = join_query_log(logs)
    assert set(joined) == {STRAY}
    found = joined[STRAY]
    expected_failed = sum(1 for i in range(24) if i % 2 == 0 or i % 3 == 0)
    assert found.joined == expected_failed == 16
    assert found.unjoined == 1  # example.org: no query line for it
    assert found.queries == 24  # the 24 cluster.local answers carry `aa`: never forwarded
    (stats,) = upstream_table(logs, None)
    assert stats.rate is None  # no metrics rate...
    assert stats.log_rate == pytest.approx(16 / 24)  # ...but one derived from logs
    assert "lower bound" in stats.log_basis
    assert "at least 66.7% failed" in stats.basis


def test_join_needs_same_type_and_time_window():
    query = (
        '[pod/p/coredns] 2024-05-01T10:00:10Z [INFO] 10.1.1.1:5 - 7 "A IN a.example. udp 30 '
        'false 512" - - 0 2.0s'
    )
    error = "[pod/p/coredns] {t} [ERROR] plugin/errors: 2 a.example. {qtype}: read udp 10.0.0.9:1->10.9.9.9:53: i/o timeout"
    inside = parse_lines([query, error.format(t="2024-05-01T10:00:09.5Z", qtype="A")], "x")
    assert join_query_log(inside)["10.9.9.9:53"].joined == 1
    other_type = parse_lines([query, error.format(t="2024-05-01T10:00:10Z", qtype="AAAA")], "x")
    assert join_query_log(other_type) == {}
    too_early = parse_lines([query, error.format(t="2024-05-01T10:00:05Z", qtype="A")], "x")
    assert join_query_log(too_early) == {}


def test_join_without_timestamps_by_adjacent_lines(data):
    # home-assistant/plugin-dns#161: a query line then an error line, no times; the error is
    # for AAAA, the query for A: not the same query
    logs = _logs(data, "coredns/logs/query-log-formats.log")
    assert join_query_log(logs) == {}
    same = parse_lines(
        [
            '[INFO] 172.30.32.1:56240 - 57020 "A IN www.waze.com. udp 30 false 512" - - 0 6.003450954s',
            "[ERROR] plugin/errors: 2 www.waze.com. A: read udp 172.30.32.3:45359->192.168.1.11:53: i/o timeout",
        ],
        "y",
    )
    assert join_query_log(same)["192.168.1.11:53"].joined == 1


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (161, "2 min 41 s"),
        (161.2, "2 min 41 s"),
        (240, "4 min"),
        (59, "59 s"),
        (0.4, "0.4 s"),
        (3725, "1 h 2 min"),
        (90061, "1 day 1 h"),
        (200000, "2 days 7 h"),
    ],
)
def test_duration_text(seconds, text):
    assert duration_text(seconds) == text


@settings(deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_duration_text_never_raises_and_never_overstates(seconds):
    text = duration_text(seconds)
    assert text
    if 10 <= seconds < 1e12:
        units = {"s": 1, "min": 60, "h": 3600, "day": 86400, "days": 86400}
        words = text.split()
        shown = sum(float(n) * units[u] for n, u in zip(words[::2], words[1::2], strict=True))
        assert shown <= round(seconds)  # the smaller unit is cut, never rounded up


LINE_PIECES = st.sampled_from(
    [
        "[pod/p/coredns] ",
        "[pod/q/coredns] ",
        "2024-05-01T10:00:00Z ",
        "2024-05-01T10:00:01Z ",
        "[INFO] 1.2.3.4:5 - 1 ",
        '"A IN a. udp 30 false 512" ',
        '"AAAA IN a. udp 30 false 512" ',
        "- - 0 5.0s",
        "SERVFAIL qr,aa,rd 30 1.2.3s",
        "[ERROR] plugin/errors: 2 a. A: ",
        "read udp 1.2.3.4:5->10.0.0.1:53: i/o timeout",
    ]
)


@settings(deadline=None)
@given(st.lists(st.lists(LINE_PIECES | st.text(max_size=8), max_size=8).map("".join), max_size=30))
def test_join_never_raises_and_counts_stay_consistent(lines):
    logs = parse_lines(lines, "h")
    for found in join_query_log(logs).values():
        assert 0 < found.joined <= len(logs.queries.candidates)
        assert found.unjoined >= 0
    failing_names(logs)
