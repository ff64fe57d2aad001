"""`import` of files from disk: globs relative to the importing file, bounded to the Corefile's
directory, loops and blow-ups stopped with a typed error."""

from __future__ import annotations

import pytest

from dnsdoctor.evidence.coredns.corefile import CorefileError, load_corefile


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_globs_relative_to_the_importing_file(tmp_path):
    top = write(
        tmp_path / "Corefile",
        ". {\n    errors\n    import conf.d/*.override\n}\nimport conf.d/*.server\n",
    )
    write(tmp_path / "conf.d" / "a.server", "a.org {\n    import ../shared/forward\n}\n")
    write(tmp_path / "conf.d" / "b.server", "b.org {\n    whoami\n}\n")
    write(tmp_path / "conf.d" / "x.override", "log\n")
    write(
        tmp_path / "conf.d" / ".hidden.server", "hidden.org {\n}\n"
    )  # Go's Glob matches dot-files
    write(tmp_path / "shared" / "forward", "forward . 10.0.0.9\n")
    corefile = load_corefile(top)
    assert [s.label for s in corefile.servers] == [".", "hidden.org", "a.org", "b.org"]
    assert corefile.servers[0].plugin("log").location.path == str(
        tmp_path / "conf.d" / "x.override"
    )
    (fwd,) = corefile.forward_upstreams()
    assert fwd.location.path == str(tmp_path / "shared" / "forward")
    assert fwd.location.line == 1
    assert fwd.directive.via == (
        f"file {tmp_path.resolve()}/conf.d/a.server",
        f"file {tmp_path.resolve()}/shared/forward",
    )
    assert not corefile.defects


def test_mount_dir_maps_absolute_imports(tmp_path):
    top = write(
        tmp_path / "Corefile",
        ". {\n  import /etc/coredns/custom/*.override\n}\nimport /etc/other/file\n",
    )
    write(tmp_path / "custom" / "log.override", "log\n")
    corefile = load_corefile(top, mount_dir="/etc/coredns")
    assert corefile.servers[0].plugin("log") is not None
    (outside,) = corefile.defects
    assert "/etc/other/file is outside /etc/coredns" in outside.message
    assert not outside.fatal


def test_imports_outside_the_directory_are_not_read(tmp_path):
    write(tmp_path / "secret", "leak.org {\n}\n")
    top = write(tmp_path / "inner" / "Corefile", "import ../secret\n. {\n}\n")
    corefile = load_corefile(top)
    assert [s.label for s in corefile.servers] == ["."]
    assert "not read from this machine" in corefile.defects[0].message


def test_missing_literal_file_is_fatal_missing_glob_is_minor(tmp_path):
    top = write(tmp_path / "Corefile", "import nothing\nimport none/*.server\n. {\n}\n")
    corefile = load_corefile(top)
    literal, glob = corefile.defects
    assert literal.fatal
    assert not literal.minor
    assert literal.location.line == 1
    assert glob.minor
    assert not glob.fatal
    assert glob.location.line == 2


def test_globs_coredns_refuses(tmp_path):
    top = write(tmp_path / "Corefile", "import */*.server\n. {\n}\n")
    (defect,) = load_corefile(top).defects
    assert defect.fatal
    assert "one wildcard" in defect.message


def test_import_loop_is_a_typed_error(tmp_path):
    top = write(tmp_path / "Corefile", ". {\n  import a\n}\n")
    write(tmp_path / "a", "import b\n")
    write(tmp_path / "b", "errors\nimport a\n")
    with pytest.raises(CorefileError, match="import loop") as info:
        load_corefile(top)
    assert "b:2:" in str(info.value)


def test_self_import_is_a_typed_error(tmp_path):
    top = write(tmp_path / "Corefile", "import Corefile\n")
    with pytest.raises(CorefileError, match="import loop"):
        load_corefile(top)


def test_snippet_blow_up_is_bounded(tmp_path):
    # Each level doubles the tokens: 2**20 copies would exhaust memory without a bound.
    levels = ["(s0) {\n  errors\n}\n"]
    levels += [f"(s{n}) {{\n  import s{n - 1}\n  import s{n - 1}\n}}\n" for n in range(1, 21)]
    top = write(tmp_path / "Corefile", "".join(levels) + ". {\n  import s20\n}\n")
    with pytest.raises(CorefileError, match="more than"):
        load_corefile(top)


def test_unreadable_corefile_is_an_input_error(tmp_path):
    from dnsdoctor.errors import InputError

    with pytest.raises(InputError, match="cannot read"):
        load_corefile(tmp_path / "missing")
