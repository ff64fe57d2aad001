"""The host's clock as musl's resolver sees it: the clocksource, and a measured probability that
the A and AAAA queries of one musl (< 1.2.4) lookup get the same transaction ID.

musl 1.2.3 derives each query ID from `clock_gettime(CLOCK_REALTIME)` nanoseconds and builds the
two queries back to back; on a coarse clock both readings fall in one tick. Whether that happens
is a property of this host (clocksource, vDSO, hypervisor), so it is measured, never guessed:
`idsampler.c` is linked statically against real musl with `musl-gcc` and calls musl's own
`res_mkquery` twice per sample, as `name_from_dns` does. `clock_getres` is not used: it reports
the timer resolution (1 ns almost everywhere), not how often two readings are equal.

The clocksource is read from sysfs and never changed.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dnsdoctor.errors import EnvironmentMissingError

SAMPLER_SOURCE = Path(__file__).resolve().parent / "idsampler.c"
CLOCKWRAP_SOURCE = Path(__file__).resolve().parent.parent.parent / "lab" / "clients" / "clockwrap.c"
CLOCKSOURCE_DIR = "devices/system/clocksource/clocksource0"
DEFAULT_SAMPLES = 1_000_000  # about 0.1 s with a vDSO clock
SAMPLER_TIMEOUT_S = 120
Z_95 = 1.959963984540054
VARIANTS = ("plain", "coarse")  # coarse: the lab's 4 ms CLOCK_REALTIME wrapper, for tests


@dataclass(frozen=True, slots=True)
class Clocksource:
    current: str | None
    available: tuple[str, ...]
    path: str  # the sysfs directory read

    def to_dict(self) -> dict[str, Any]:
        return {"current": self.current, "available": list(self.available), "path": self.path}


@dataclass(frozen=True, slots=True)
class CollisionEstimate:
    """Same-ID pairs among `samples` back-to-back A/AAAA query builds by real musl."""

    samples: int
    same_id: int
    low: float  # 95% Wilson score interval
    high: float
    min_step_ns: int | None  # smallest non-zero step between CLOCK_REALTIME readings seen
    zero_steps: int  # consecutive readings that were equal
    steps: int
    sampler: str  # the binary that measured
    variant: str = "plain"

    @property
    def probability(self) -> float:
        return self.same_id / self.samples

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "same_id": self.same_id,
            "probability": self.probability,
            "ci95": [self.low, self.high],
            "min_step_ns": self.min_step_ns,
            "zero_steps": self.zero_steps,
            "steps": self.steps,
            "sampler": self.sampler,
            "variant": self.variant,
        }


@dataclass(frozen=True, slots=True)
class ClockReport:
    clocksource: Clocksource | None
    collision: CollisionEstimate | None
    skipped: str = ""  # why `collision` is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "clocksource": self.clocksource.to_dict() if self.clocksource else None,
            "collision": self.collision.to_dict() if self.collision else None,
            "skipped": self.skipped,
        }


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval: sound at 0 and at `trials` successes, unlike p ± z·se."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    p = successes / trials
    z2 = z * z
    denominator = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denominator
    # At 0 or `trials` successes the bound is exact; float rounding would leave 1e-22 there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def read_clocksource(sys_root: Path = Path("/sys")) -> Clocksource | None:
    """The current and available clocksources, or None when sysfs does not show them."""
    directory = sys_root / CLOCKSOURCE_DIR
    current = _read_small(directory / "current_clocksource")
    available = _read_small(directory / "available_clocksource")
    if current is None and available is None:
        return None
    return Clocksource(
        current=current.strip() or None if current is not None else None,
        available=tuple((available or "").split()),
        path=str(directory),
    )


def _read_small(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            return handle.read(4096).decode("ascii", "replace")
    except OSError:
        return None


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dnsdoctor" / "node"


def _cache_key() -> str:
    from dnsdoctor.lab.build import musl_libc

    digest = hashlib.sha256()
    for source in (SAMPLER_SOURCE, CLOCKWRAP_SOURCE, Path(__file__)):
        digest.update(source.read_bytes())
    digest.update(hashlib.sha256(musl_libc().read_bytes()).digest())
    return digest.hexdigest()[:16]


def build_sampler(variant: str = "plain", root: Path | None = None) -> Path:
    """Build (once, cached by source and libc.a hash) the sampler; `coarse` adds the 4 ms wrap."""
    from dnsdoctor.lab.build import require_tool

    if variant not in VARIANTS:
        raise ValueError(f"unknown sampler variant {variant!r}; known: {', '.join(VARIANTS)}")
    require_tool("musl-gcc", "apt-get install musl-tools")
    if variant == "coarse":
        require_tool("ar", "apt-get install binutils")
        require_tool("objdump", "apt-get install binutils")
    directory = (root or cache_dir()) / _cache_key()
    target = directory / f"idsampler-{variant}"
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=f".idsampler-{variant}-") as tmp:
        work = Path(tmp)
        out = work / target.name
        _compile(variant, out, work)
        os.replace(out, target)
    return target


def _compile(variant: str, out: Path, work: Path) -> None:
    command = ["musl-gcc", "-static", "-O2", "-o", str(out), str(SAMPLER_SOURCE)]
    if variant == "coarse":
        from dnsdoctor.lab.build import musl_libc, verify_coarse

        # As the lab does: pull res_mkquery.lo out of libc.a so --wrap certainly rewrites its
        # clock_gettime reference, then check the result really calls the wrapper.
        _run(["ar", "x", str(musl_libc()), "res_mkquery.lo"], work)
        command += [str(CLOCKWRAP_SOURCE), str(work / "res_mkquery.lo")]
        command.append("-Wl,--wrap=clock_gettime")
    _run(command, work)
    if variant == "coarse":
        verify_coarse(out)


def _run(command: list[str], cwd: Path) -> None:
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"sampler build failed: {' '.join(command)}\n{proc.stderr}")


def run_sampler(
    binary: Path, samples: int = DEFAULT_SAMPLES, *, variant: str = "plain"
) -> CollisionEstimate:
    """Run the sampler and turn its counts into an estimate with a 95% interval."""
    proc = subprocess.run(
        [str(binary), str(samples)],
        capture_output=True,
        text=True,
        check=False,
        timeout=SAMPLER_TIMEOUT_S,
        env={"PATH": "/usr/bin:/bin"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{binary} exited {proc.returncode}: {proc.stderr.strip()}")
    figures = parse_sampler_output(proc.stdout)
    low, high = wilson_interval(figures["same_id"], figures["samples"])
    return CollisionEstimate(
        samples=figures["samples"],
        same_id=figures["same_id"],
        low=low,
        high=high,
        min_step_ns=figures["min_step_ns"] if figures["min_step_ns"] >= 0 else None,
        zero_steps=figures["zero_steps"],
        steps=figures["steps"],
        sampler=str(binary),
        variant=variant,
    )


def parse_sampler_output(text: str) -> dict[str, int]:
    wanted = ("samples", "same_id", "min_step_ns", "zero_steps", "steps")
    figures: dict[str, int] = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key in wanted:
            try:
                figures[key] = int(value)
            except ValueError:
                raise RuntimeError(f"sampler output not understood: {line!r}") from None
    missing = [key for key in wanted if key not in figures]
    if missing or figures["samples"] < 1 or not 0 <= figures["same_id"] <= figures["samples"]:
        raise RuntimeError(f"sampler output not understood (missing {missing}): {text!r}")
    return figures


def collect_clock(
    *,
    sys_root: Path = Path("/sys"),
    samples: int = DEFAULT_SAMPLES,
    cache: Path | None = None,
    measure: bool = True,
) -> ClockReport:
    """The clocksource and, when musl-gcc is here, the measured same-ID probability."""
    clocksource = read_clocksource(sys_root)
    if not measure:
        return ClockReport(clocksource, None, "measurement not asked for")
    if shutil.which("musl-gcc") is None:
        return ClockReport(
            clocksource,
            None,
            "musl-gcc is not installed (apt-get install musl-tools), so the same-ID probability "
            "was not measured; it is never guessed from clock_getres",
        )
    try:
        binary = build_sampler("plain", cache)
        estimate = run_sampler(binary, samples)
    except (EnvironmentMissingError, RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return ClockReport(clocksource, None, f"the musl ID sampler could not run: {exc}")
    return ClockReport(clocksource, estimate)
