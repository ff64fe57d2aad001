"""The clock evidence: clocksource from sysfs and the measured musl same-ID probability."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.clock import (
    build_sampler,
    collect_clock,
    parse_sampler_output,
    read_clocksource,
    run_sampler,
    wilson_interval,
)

CS = "devices/system/clocksource/clocksource0"


def test_wilson_textbook_values():
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4)
    assert high == pytest.approx(0.7634, abs=1e-4)


def test_wilson_at_the_edges_is_exact_on_the_closed_side():
    assert wilson_interval(0, 1000) == (0.0, pytest.approx(0.00383, abs=1e-5))
    low, high = wilson_interval(1000, 1000)
    assert high == 1.0
    assert low == pytest.approx(0.99617, abs=1e-5)


@settings(deadline=None)
@given(st.integers(1, 10**9).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_contains_the_point_estimate(pair):
    successes, trials = pair
    low, high = wilson_interval(successes, trials)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_clocksource_from_a_sysfs_tree(tmp_path):
    (tmp_path / CS).mkdir(parents=True)
    (tmp_path / CS / "current_clocksource").write_text("kvm-clock\n")
    (tmp_path / CS / "available_clocksource").write_text("kvm-clock tsc acpi_pm \n")
    source = read_clocksource(tmp_path)
    assert source is not None
    assert source.current == "kvm-clock"
    assert source.available == ("kvm-clock", "tsc", "acpi_pm")


def test_clocksource_absent(tmp_path):
    assert read_clocksource(tmp_path) is None


def test_this_hosts_clocksource_is_one_of_the_available():
    source = read_clocksource()
    assert source is not None
    assert source.current in source.available


@pytest.fixture(scope="module")
def estimates(tmp_path_factory):
    cache = tmp_path_factory.mktemp("sampler-cache")
    plain = run_sampler(build_sampler("plain", cache), 200_000)
    coarse = run_sampler(build_sampler("coarse", cache), 200_000, variant="coarse")
    return plain, coarse


def test_coarse_4ms_clock_collides_almost_always(estimates):
    _, coarse = estimates
    # Only a pair straddling a 4 ms boundary differs: a few in 10^5 at most.
    assert coarse.probability > 0.99
    assert coarse.low > 0.99
    assert coarse.min_step_ns == 4_000_000
    assert coarse.samples == 200_000


def test_plain_clock_on_this_host_rarely_collides(estimates):
    plain, coarse = estimates
    # This host's clocksource has a vDSO nanosecond clock; two readings microseconds apart
    # differ. (On a jiffies-clock host this would fail: that is the point of measuring.)
    assert plain.probability < 0.01
    assert plain.high < coarse.low
    assert plain.min_step_ns is not None
    assert plain.min_step_ns < 1_000_000


def test_collect_clock_measures_with_real_musl(tmp_path):
    report = collect_clock(samples=10_000, cache=tmp_path)
    assert report.skipped == ""
    assert report.collision is not None
    assert report.collision.samples == 10_000
    assert report.clocksource is not None
    assert report.to_dict()["collision"]["ci95"][1] >= report.collision.probability


def test_without_musl_gcc_the_measurement_is_skipped_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no musl-gcc on it
    report = collect_clock(cache=tmp_path)
    assert report.collision is None
    assert "musl-gcc is not installed" in report.skipped
    assert "clock_getres" in report.skipped


@settings(deadline=None)
@given(st.text(max_size=300))
def test_sampler_output_parser_never_crashes(text):
    try:
        figures = parse_sampler_output(text)
    except RuntimeError:
        return
    assert 0 <= figures["same_id"] <= figures["samples"]
