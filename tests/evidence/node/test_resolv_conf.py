"""resolv.conf read as glibc and as musl read it (rules transcribed from res_init.c/resolvconf.c)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.evidence.node.resolv_conf import MUSL_LINE_MAX, parse_resolv_conf


def test_only_the_last_search_or_domain_line_counts():
    conf = parse_resolv_conf("search a.example b.example\ndomain c.example d.example\n", "/r")
    assert [s.value for s in conf.glibc.search] == ["c.example"]  # domain: first word only
    assert [s.value for s in conf.musl.search] == ["c.example", "d.example"]  # musl: all words
    conf = parse_resolv_conf("domain c.example\nsearch a.example b.example\n", "/r")
    assert [s.value for s in conf.glibc.search] == ["a.example", "b.example"]
    assert [s.line for s in conf.musl.search] == [2, 2]


def test_first_three_nameservers_count_and_the_rest_is_noted():
    text = "".join(f"nameserver 10.0.0.{i}\n" for i in range(1, 6))
    conf = parse_resolv_conf(text, "/r")
    for view in (conf.glibc, conf.musl):
        assert [s.value for s in view.nameservers] == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
        assert {n.line for n in view.notes} == {4, 5}
    assert len(conf.declared_nameservers()) == 5


def test_musl_skips_a_line_of_255_bytes_but_not_254():
    for size, kept in ((MUSL_LINE_MAX, True), (MUSL_LINE_MAX + 1, False)):
        line = "search " + "a" * (size - len("search "))
        assert len(line) == size
        conf = parse_resolv_conf(line + "\nnameserver 10.0.0.1\n", "/r")
        assert bool(conf.musl.search) is kept
        assert conf.glibc.search  # glibc reads lines of any length
        assert [s.value for s in conf.musl.nameservers] == ["10.0.0.1"]


def test_option_caps_differ_between_the_libraries():
    conf = parse_resolv_conf("options ndots:20 timeout:45 attempts:8 rotate\n", "/r")
    assert conf.glibc.options == {"ndots": 15, "timeout": 30, "attempts": 5, "rotate": True}
    assert conf.musl.options == {"ndots": 15, "timeout": 45, "attempts": 8}
    assert any("rotate" in n.note for n in conf.musl.notes)


def test_keywords_need_a_blank_and_comments_are_skipped():
    text = (
        "nameserver\t10.0.0.9\n#nameserver 10.0.0.8\nnameservers 10.0.0.7\n nameserver 10.0.0.6\n"
    )
    conf = parse_resolv_conf(text, "/r")
    assert [s.value for s in conf.glibc.nameservers] == ["10.0.0.9"]
    assert [s.value for s in conf.musl.nameservers] == ["10.0.0.9"]


def test_defaults_when_options_are_absent():
    conf = parse_resolv_conf("", "/r")
    assert conf.glibc.setting("ndots") == 1
    assert conf.musl.setting("timeout") == 5
    assert conf.glibc.setting("attempts") == 2


_lines = st.lists(
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda w, r: f"{w} {r}",
            st.sampled_from(["nameserver", "search", "domain", "options"]),
            st.text(max_size=300),
        ),
    ),
    max_size=20,
)


@settings(deadline=None)
@given(_lines)
def test_no_input_crashes_and_the_limits_hold(lines):
    conf = parse_resolv_conf("\n".join(lines), "/r")
    for view in (conf.glibc, conf.musl):
        assert len(view.nameservers) <= 3
        assert 0 <= int(view.setting("ndots")) <= 15
    for setting in conf.musl.search:
        assert len(conf.lines[setting.line - 1].encode("utf-8", "surrogateescape")) <= MUSL_LINE_MAX
    conf.to_dict()
