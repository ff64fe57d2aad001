"""Real CoreDNS /metrics text pasted in public threads (tests/data/coredns/metrics/real/).

Each file is the metric lines of one post, as the post shows them (see the README there for the
thread, author, date and CoreDNS version). Expected values are read from the fixture text with a
small regex of its own, never written into the test, so the parser is checked against the text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns import metrics as m
from dnsdoctor.evidence.coredns.upstreams import upstream_table

REAL = Path(__file__).resolve().parents[2] / "data" / "coredns" / "metrics" / "real"
REAL_FILES = sorted(REAL.glob("*.prom"))

# A sample line of the text format: name, optional {labels}, value (no timestamps in these posts).
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"')


def _samples(path: Path) -> list[tuple[str, dict[str, str], float]]:
    out = []
    for line in path.read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = _SAMPLE.match(line)
        assert match, f"{path.name}: not a sample line: {line!r}"
        labels = dict(_LABEL.findall(match[2] or ""))
        out.append((match[1], labels, float(match[3])))
    return out


def _per_upstream(path: Path, name: str) -> dict[str, float]:
    sums: dict[str, float] = {}
    for sample, labels, value in _samples(path):
        if sample == name and "to" in labels:
            sums[labels["to"]] = sums.get(labels["to"], 0.0) + value
    return sums


def _real(name: str) -> Path:
    path = REAL / name
    assert path.is_file(), f"real fixture missing: {path}"
    return path


def test_there_are_real_scrapes_and_each_has_a_readme_entry():
    readme = (REAL.parent / "README.md").read_text()
    assert len(REAL_FILES) >= 6
    for path in REAL_FILES:
        assert f"real/{path.name}" in readme, f"{path.name} has no origin in the README"


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_every_real_scrape_parses_to_exactly_its_sample_lines(path):
    scrape = m.load_scrape(str(path))
    expected = {
        (name, tuple(sorted(labels.items()))): value for name, labels, value in _samples(path)
    }
    assert expected, f"{path.name} has no sample lines"
    assert scrape.series == expected


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_every_upstream_a_real_scrape_names_is_ranked(path):
    named = {labels["to"] for _, labels, _ in _samples(path) if "to" in labels}
    table = upstream_table(None, m.load_metrics([str(path)]))
    assert {s.address for s in table} == named
    for stats in table:
        assert stats.basis, f"{stats.address}: the ranking must say how its rate was found"


def test_deprecated_requests_and_responses_give_a_rate():
    """kubernetes/dns#453: NodeLocal DNSCache with coredns_forward_requests_total and
    coredns_forward_responses_total for three upstreams, and a duration `_count` for only one
    of them (the post is an excerpt): the denominator exists for all three."""
    path = _real("k8s-dns-453-rtheis-forward.prom")
    sent = _per_upstream(path, m.FORWARD_REQUESTS)
    answered = _per_upstream(path, m.FORWARD_RESPONSES)
    assert len(sent) == 3
    assert set(answered) == set(sent)
    table = {s.address: s for s in upstream_table(None, m.load_metrics([str(path)]))}
    for address, count in sent.items():
        stats = table[address]
        assert stats.sent == count
        assert stats.answered == answered[address]
        assert stats.rate == pytest.approx((count - answered[address]) / count)
        assert stats.basis.startswith(m.FORWARD_REQUESTS)
        assert stats.metric_evidence, f"{address}: no metric evidence"


def test_the_busiest_upstream_of_453_answered_by_rcode():
    path = _real("k8s-dns-453-rtheis-forward.prom")
    sent = _per_upstream(path, m.FORWARD_REQUESTS)
    busiest = max(sent, key=lambda a: sent[a])
    metrics = m.load_metrics([str(path)])
    by_rcode = {
        dict(inc.labels)["rcode"]: inc.value
        for inc in metrics.increases(m.FORWARD_RESPONSES, to=busiest)
    }
    expected = {
        labels["rcode"]: value
        for name, labels, value in _samples(path)
        if name == m.FORWARD_RESPONSES and labels.get("to") == busiest
    }
    assert by_rcode == expected
    assert sum(by_rcode.values()) == sent[busiest]


@pytest.mark.parametrize(
    "name",
    [
        "coredns-3498-futurefangyuan-forward-buckets.prom",
        "datadog-21657-art3mk-node-cache-1.22.28.prom",
    ],
)
def test_duration_buckets_alone_give_no_rate(name):
    """The duration histogram is recorded only for answered queries; a post that shows only its
    buckets counts neither what was sent nor what timed out: rate unknown, and why."""
    path = _real(name)
    named = {labels["to"] for _, labels, _ in _samples(path) if "to" in labels}
    assert named
    table = upstream_table(None, m.load_metrics([str(path)]))
    for stats in table:
        assert stats.rate is None
        assert stats.sent is None
        assert stats.answered is None
        assert "no metrics give this upstream's query count" in stats.basis
        assert "coredns_forward_request_duration_seconds_bucket" in stats.basis


def test_rcode_label_on_the_deprecated_duration_series_is_kept():
    """node-cache 1.22.28 labels the deprecated duration histogram with rcode (CoreDNS >= 1.7);
    1.6.5 in coredns/coredns#3498 has `to` only."""
    newer = m.load_scrape(str(_real("datadog-21657-art3mk-node-cache-1.22.28.prom")))
    older = m.load_scrape(str(_real("coredns-3498-futurefangyuan-forward-buckets.prom")))
    bucket = "coredns_forward_request_duration_seconds_bucket"
    assert all("rcode" in dict(labels) for labels, _ in newer.select(bucket))
    assert all("rcode" not in dict(labels) for labels, _ in older.select(bucket))


def test_a_timed_out_upstream_leaves_no_sample():
    """coredns/coredns#4726: CoreDNS 1.8.4 forwarding to an unreachable 9.8.7.6 (the thread's
    Corefile); after two timed-out queries the scrape counts 2 server responses and names no
    upstream at all."""
    path = _real("coredns-4726-tantalor93-1.8.4.prom")
    metrics = m.load_metrics([str(path)])
    expected = sum(v for name, _, v in _samples(path) if name == m.SERVER_RESPONSES)
    assert metrics.total(m.SERVER_RESPONSES) == expected
    assert not any("to" in dict(labels) for _, labels in metrics.last.series)
    assert "9.8.7.6" not in path.read_text()
    assert upstream_table(None, metrics) == []


def test_1_6_5_build_info_and_cache_counters():
    path = _real("coredns-3498-futurefangyuan-1.6.5.prom")
    scrape = m.load_scrape(str(path))
    ((labels, _),) = scrape.select(m.BUILD_INFO)
    expected_version = next(lbl["version"] for n, lbl, _ in _samples(path) if n == m.BUILD_INFO)
    assert dict(labels)["version"] == expected_version
    metrics = m.CorednsMetrics([scrape])
    for name in (m.CACHE_HITS, m.CACHE_MISSES):
        assert metrics.total(name) == sum(v for n, _, v in _samples(path) if n == name)
    assert upstream_table(None, metrics) == []


def test_node_local_dns_server_rcodes():
    path = _real("k8s-dns-453-rtheis-responses.prom")
    metrics = m.load_metrics([str(path)])
    expected: dict[str, float] = {}
    for name, labels, value in _samples(path):
        if name == m.SERVER_RESPONSES:
            expected[labels["rcode"]] = expected.get(labels["rcode"], 0.0) + value
    assert metrics.by_label(m.SERVER_RESPONSES, "rcode") == expected
    # The family's HELP and TYPE lines are there, its sample is not (the post is cut there).
    assert not metrics.has(m.MAX_CONCURRENT_REJECTS)


@settings(deadline=None)
@given(
    index=st.integers(min_value=0, max_value=len(REAL_FILES) - 1),
    cut=st.floats(min_value=0.0, max_value=1.0),
    whole_lines=st.booleans(),
)
def test_a_real_scrape_cut_anywhere_parses_or_is_refused(index, cut, whole_lines):
    """Posts are cut like this: at a line, or (a paste gone wrong) inside one. Either the
    samples are read, or the input is refused with InputError; never a crash."""
    text = REAL_FILES[index].read_text()
    if whole_lines:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[: int(cut * len(lines))])
    else:
        text = text[: int(cut * len(text))]
    try:
        series, _ = m.parse_exposition(text, "cut.prom")
    except InputError as exc:
        refused = str(exc)
        assert "cut.prom" in refused
        return
    upstream_table(None, m.CorednsMetrics([m.Scrape("cut.prom", None, "unknown", series)]))
    if whole_lines:
        assert len(series) == sum(
            1 for line in text.splitlines() if line.strip() and not line.startswith("#")
        )
