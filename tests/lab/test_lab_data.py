"""The lab's data and CLI without running a namespace: expectations, samples, list, privileges."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dnsdoctor.lab import runner
from dnsdoctor.lab.scenarios import RULES, SCENARIOS
from dnsdoctor.model import Severity
from dnsdoctor.rules.registry import all_rules

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
EXPECTED = json.loads((SAMPLES / "expected.json").read_text())
IN_CI = os.environ.get("CI", "").lower() == "true"
AT_LEAST_WARNING = {s.label for s in Severity if s >= Severity.WARNING}


def test_every_scenario_is_well_formed() -> None:
    known = {r.name for r in all_rules()}
    assert set(RULES) <= known, set(RULES) - known
    for name, scenario in SCENARIOS.items():
        assert scenario.name == name
        assert scenario.clients
        assert all(s.address.startswith("127.") for s in scenario.servers)
        assert "nameserver 127." in scenario.resolv_conf
        declared = [f.rule for f in scenario.must_fire]
        assert len(declared) == len(set(declared))
        assert set(declared) <= set(RULES)
        assert set(scenario.unconstrained) <= set(RULES) - set(declared)
        assert all(f.roles for f in scenario.must_fire)
        if scenario.sample:
            assert (SAMPLES / scenario.sample).is_file()


def test_only_one_slow_scenario() -> None:
    slow = [n for n, s in SCENARIOS.items() if any(c.expect.step.hi_ms > 4000 for c in s.clients)]
    assert slow == ["dead-server-defaults"]


def test_committed_expected_json_is_generated_from_the_scenarios() -> None:
    assert (SAMPLES / "expected.json").read_text() == runner.expected_text(SAMPLES)


@pytest.mark.parametrize("sample", sorted(EXPECTED["samples"]))
def test_bundled_sample_meets_expected_json(cli, sample: str) -> None:
    result = cli("pcap", "--format", "json", "--fail-on", "never", str(SAMPLES / sample))
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    cited: dict[str, set[int]] = {}
    for finding in report["findings"]:
        if finding["severity"] in AT_LEAST_WARNING:
            frames = {e["frame"] for e in finding["evidence"] if e.get("frame") is not None}
            cited.setdefault(finding["name"], set()).update(frames)
    spec = EXPECTED["samples"][sample]
    for must in spec["must_fire"]:
        assert must["rule"] in cited, f"{sample}: {must['rule']} did not fire at warning+"
        assert cited[must["rule"]] & set(must["frames"]), (
            f"{sample}: {must['rule']} cites {sorted(cited[must['rule']])}, none of "
            f"{must['frames']}"
        )
    fired_silent = sorted(set(spec["must_not_fire"]) & set(cited))
    assert fired_silent == [], f"{sample}: declared silent but fired: {fired_silent}"


@pytest.mark.parametrize("sample", sorted(EXPECTED["samples"]))
def test_bundled_sample_is_loopback_only(sample: str) -> None:
    assert runner.non_loopback_addresses(SAMPLES / sample) == []


def test_lab_list_names_every_scenario(cli) -> None:
    result = cli("lab", "list")
    assert result.code == 0, result.stderr
    for name, scenario in SCENARIOS.items():
        assert f"{name}:" in result.stdout
        for run in scenario.clients:
            assert run.expect.step.label in result.stdout
    assert "EAI_NONAME" in result.stdout
    assert "5 s (default timeout:5)" in result.stdout


def test_lab_run_unknown_scenario_is_a_usage_error(cli) -> None:
    result = cli("lab", "run", "no-such-scenario")
    assert result.code == 2
    assert "dnsdoctor: error: unknown lab scenario" in result.stderr


def _readable_site_packages() -> str:
    """A world-readable copy of the third-party packages the CLI has imported.

    The interpreter's own site-packages may sit under a directory user nobody cannot enter
    (pyenv under /root); nobody then gets the package from this copy, via PYTHONPATH.
    """
    import dnsdoctor.cli.main
    import dnsdoctor.lab.runner

    assert dnsdoctor.cli.main.run is not None  # loaded: its imports are in sys.modules

    site = [Path(p) for p in sys.path if p.endswith("site-packages") or p.endswith("dist-packages")]
    tops: set[Path] = set()
    for module in list(sys.modules.values()):
        origin = getattr(module, "__file__", None)
        if not origin:
            continue
        for base in site:
            try:
                rel = Path(origin).relative_to(base)
            except ValueError:
                continue
            tops.add(base / rel.parts[0])
    copy = Path(tempfile.mkdtemp(prefix="dnsdoctor-lab-nobody-"))
    for top in tops:
        if top.is_dir():
            shutil.copytree(top, copy / top.name)
        else:
            shutil.copyfile(top, copy / top.name)
    for path in [copy, *copy.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return str(copy)


def test_lab_run_unprivileged_exits_2_naming_root() -> None:
    """As user nobody (or as whoever runs the tests when not root) the lab refuses with 2."""
    prefix: list[str] = []
    extra = ""
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            if IN_CI:
                pytest.fail("setpriv missing under CI=true")
            pytest.skip("setpriv (util-linux) missing: cannot drop to nobody")
        prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        extra = _readable_site_packages()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), extra]))
    env["HOME"] = "/nonexistent"
    try:
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "dnsdoctor", "lab", "run", "dead-server-glibc"],
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=60,
            check=False,
        )
    finally:
        if extra:
            shutil.rmtree(extra)
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("dnsdoctor: error: root missing"), proc.stderr
    assert " — run as root" in proc.stderr
