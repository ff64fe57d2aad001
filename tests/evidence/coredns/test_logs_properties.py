"""No input crashes the log and Go-error parsers."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.coredns.classify import CLASS_MEANING, classify_error
from dnsdoctor.evidence.coredns.logs import parse_lines

PIECES = st.sampled_from(
    [
        "[pod/coredns-x/coredns] ",
        "2024-05-01T10:00:00.123456789Z ",
        "2018/11/21 06:48:52 ",
        "[ERROR] ",
        "[INFO] ",
        "plugin/errors: ",
        "2 ",
        "a.example. ",
        "HINFO: ",
        "read udp 1.2.3.4:5->",
        "[::1]:53",
        ": i/o timeout",
        "unreachable backend: ",
        '"A IN x. udp 1 false 512" ',
        "- - 0 6.0s",
        "errors like '",
        "' occurred in last ",
        "plugin/loop: Loop (",
        "9999-99-99T99:99:99Z ",
        "\x00",
        "\ufeff",
    ]
)


@settings(deadline=None)
@given(st.lists(st.lists(PIECES | st.text(max_size=12), max_size=10).map("".join), max_size=20))
def test_parse_lines_never_raises(lines):
    logs = parse_lines(lines, "fuzz")
    assert logs.lines == sum(1 for line in lines if line.strip())
    assert 0 <= logs.unrecognised <= logs.lines
    for error in logs.errors:
        assert error.cause.cls in CLASS_MEANING


@settings(deadline=None)
@given(st.text())
def test_classify_never_raises(text):
    assert classify_error(text).cls in CLASS_MEANING
