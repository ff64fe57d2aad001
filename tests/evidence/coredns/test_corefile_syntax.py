"""The Caddyfile syntax as CoreDNS reads it: keys, blocks, quotes, comments, snippets, imports,
placeholders, and the errors a broken Corefile gives. Inline Corefiles here are written for the
test (each shows one syntax rule); the real ones are in test_corefile_fixtures.py."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.coredns.corefile import CorefileError, load_corefile


def parse(text: str, **kwargs):
    return load_corefile(text, path="Corefile", **kwargs)


def test_several_keys_ports_and_schemes():
    corefile = parse(
        "example.org:5300 example.net {\n    whoami\n}\n"
        "tls://.:853 a.org,\n  b.org {\n  forward . tls://9.9.9.9 {\n    tls_servername dns.quad9.net\n  }\n}\n"
    )
    first, second = corefile.servers
    assert [(k.zone, k.port, k.scheme) for k in first.keys] == [
        ("example.org.", 5300, "dns"),
        ("example.net.", 53, "dns"),
    ]
    assert [(k.zone, k.port, k.scheme) for k in second.keys] == [
        (".", 853, "tls"),
        ("a.org.", 53, "dns"),
        ("b.org.", 53, "dns"),
    ]
    assert [k.location.line for k in second.keys] == [4, 4, 5]
    (fwd,) = corefile.forward_upstreams()
    assert (fwd.to[0].transport, fwd.to[0].address) == ("tls", "9.9.9.9:853")
    assert fwd.option("tls_servername") == ("dns.quad9.net",)
    assert fwd.options["tls_servername"].location.line == 7


def test_upstream_address_forms():
    corefile = parse(
        ". {\n forward example.org 10.0.0.2:5353 [2001:db8::1]:53 ::1 dns://1.1.1.1 /etc/other.conf\n}\n"
    )
    (fwd,) = corefile.forward_upstreams()
    assert fwd.from_zone == "example.org."
    assert [(u.kind, u.address) for u in fwd.to] == [
        ("address", "10.0.0.2:5353"),
        ("address", "[2001:db8::1]:53"),
        ("address", "[::1]:53"),
        ("address", "1.1.1.1:53"),
        ("file", "/etc/other.conf"),
    ]
    assert all(u.location.line == 2 for u in fwd.to)


def test_quotes_comments_and_escapes():
    text = (
        ". { # a comment after the brace\n"
        "    template ANY ANY internal.cloudapp.net {\n"
        '      match "^(?:[^.]+\\\\.){4,}internal\\\\.cloudapp\\\\.net\\\\.$"\n'
        "      rcode NXDOMAIN\n"
        "    }\n"
        "    # whole-line comment { with a brace\n"
        '    hosts {\n      10.0.0.1 "name with \\" quote"\n      fallthrough#no space\n    }\n'
        "}\n"
    )
    (server,) = parse(text).servers
    template = server.plugin("template")
    match = template.child("match")
    assert match.args[0].quoted
    assert match.args[0].text == "^(?:[^.]+\\\\.){4,}internal\\\\.cloudapp\\\\.net\\\\.$"
    hosts = server.plugin("hosts")
    assert hosts.block[0].arg_texts == ('name with " quote',)
    assert hosts.block[1].name == "fallthrough"  # `#` starts a comment even inside a word
    assert [p.name for p in server.plugins] == ["template", "hosts"]


def test_quoted_newlines_keep_line_numbers():
    corefile = parse('. {\n  log "first\nsecond"\n  errors\n}\n')
    server = corefile.servers[0]
    assert server.plugin("log").arg_texts == ("first\nsecond",)
    assert server.plugin("errors").location.line == 4


def test_snippets_keep_their_own_lines_and_say_where_they_came_from():
    text = "(common) {\n    errors\n    cache 30\n}\n. {\n    import common\n    forward . 10.0.0.2\n}\nexample.org {\n    import common\n}\n"
    corefile = parse(text)
    assert corefile.snippets["common"].line == 1
    for server in corefile.servers:
        errors = server.plugin("errors")
        assert errors.location.line == 2
        assert errors.via == ("snippet (common)",)
    assert [i.snippet for i in corefile.imports] == [True, True]


def test_snippet_loop_is_a_typed_error():
    with pytest.raises(CorefileError, match="snippet import loop"):
        parse("(a) {\n import b\n}\n(b) {\n import a\n}\n. {\n import a\n}\n")


def test_env_placeholders():
    text = ". {\n  forward . {$UPSTREAM} {%OTHER%}\n  log {$LEVEL:info}\n}\n"
    resolved = parse(text, environ={"UPSTREAM": "10.0.0.2", "OTHER": "10.0.0.3"})
    (fwd,) = resolved.forward_upstreams()
    assert [u.address for u in fwd.to] == ["10.0.0.2:53", "10.0.0.3:53"]
    assert {p.name for p in resolved.unresolved("env")} == {"LEVEL"}
    default = next(p for p in resolved.placeholders if p.name == "LEVEL")
    assert default.default == "info"
    assert any("does not support defaults" in d.message for d in resolved.defects)
    unknown = parse(text)
    assert [u.kind for u in unknown.forward_upstreams()[0].to] == ["placeholder"] * 2
    assert {p.name for p in unknown.unresolved()} == {"UPSTREAM", "OTHER", "LEVEL"}


def test_single_block_without_braces():
    corefile = parse(".:1053\nwhoami\nforward . 10.0.0.2\n")
    (server,) = corefile.servers
    assert not server.braces
    assert [p.name for p in server.plugins] == ["whoami", "forward"]


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (". {\n  errors\n", "never closed", 1),
        (". {\n  forward . 1.1.1.1 {\n    max_fails 0\n}\n", "never closed", 1),
        ("}\n", "without a matching", 1),
        (". {\n  errors\n}\n}\n", "without a matching", 4),
        ('. {\n  log "unterminated\n}\n', "never closed", 2),
        ("(snip)\n. {\n}\n", "needs a", 1),
        ("a.org,\n", "comma", 1),
        (". {\n  import\n}\n", "exactly one", 2),
        ("{\n}\n", "without server addresses", 1),
    ],
)
def test_broken_corefiles_give_typed_errors_with_the_line(text, message, line):
    with pytest.raises(CorefileError, match=message) as info:
        parse(text)
    assert str(info.value).startswith(f"Corefile:{line}:")


def test_defects_coredns_would_reject():
    corefile = parse(
        ". {\n  errors }\n.:53 {\n  whoami\n}\nexample.org {\n  forward . 10.0.0.2\n  {\n    max_fails 0\n  }\n}\n"
    )
    messages = [(d.location.line, d.fatal, d.message) for d in corefile.defects]
    assert any(line == 2 and fatal and "same line" in m for line, fatal, m in messages)
    assert any(line == 3 and fatal and "served twice" in m for line, fatal, m in messages)
    assert any(line == 8 and fatal and "must end the line" in m for line, fatal, m in messages)
    # the stray block is still attached, so the option is not lost
    assert corefile.forward_upstreams()[0].option("max_fails") == ("0",)


def test_same_zone_on_different_binds_is_fine():
    corefile = parse(". {\n bind 127.0.0.1\n}\n. {\n bind 127.0.0.2\n}\n")
    assert not corefile.defects
