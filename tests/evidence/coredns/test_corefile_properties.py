"""No input crashes the Corefile or ConfigMap readers: a Corefile, or a typed error."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dnsdoctor.errors import InputError
from dnsdoctor.evidence.coredns.configmap import load_configmap
from dnsdoctor.evidence.coredns.corefile import Corefile, load_corefile

# Text built from the pieces that matter to the lexer and parser, plus arbitrary characters.
PIECES = st.sampled_from(
    [
        "{",
        "}",
        "\n",
        " ",
        "\t",
        '"',
        "\\",
        "#",
        ",",
        ":",
        "(",
        ")",
        ".",
        "import",
        "(s)",
        "s",
        "forward",
        "proxy",
        "/etc/resolv.conf",
        "10.0.0.2",
        "{$X}",
        "{$X:d}",
        "{%Y%}",
        "__PILLAR__DNS__DOMAIN__",
        "__PILLAR__UPSTREAM__SERVERS__",
        "*.server",
        "max_fails",
        ".:53",
        "tls://",
        "[::1]:53",
    ]
)
CORELIKE = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=60).map("".join)


@settings(deadline=None)
@given(CORELIKE)
def test_corefile_text_never_crashes(text):
    try:
        corefile = load_corefile(text + "\n", path="Corefile", environ={"X": "1.1.1.1"})
    except InputError as exc:
        message = str(exc)
    else:
        message = ""
        assert isinstance(corefile, Corefile)
    if message:
        assert message.startswith("Corefile:"), message
        return
    for spec in corefile.forward_upstreams():
        assert spec.location.path == "Corefile"
        assert all(u.kind in ("address", "file", "placeholder") for u in spec.to)


YAMLISH = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "data:\n",
                "  Corefile: |\n",
                "    . {\n",
                "    }\n",
                "kind: ConfigMap\n",
                "kind: List\n",
                "items:\n",
                "- ",
                "metadata:\n  name: coredns\n",
                "---\n",
                '"',
                "{",
            ]
        ),
        st.text(max_size=4),
    ),
    max_size=30,
).map("".join)


@settings(deadline=None)
@given(YAMLISH)
def test_configmap_text_never_crashes(text):
    try:
        corefile = load_configmap(text + "\n")
    except InputError:
        return
    assert isinstance(corefile, Corefile)
