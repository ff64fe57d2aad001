"""One CoreDNS log line, as CoreDNS wrote it and as `kubectl logs` or a journal wrapped it.

Wrappers, outermost first, each optional:
- `kubectl logs --prefix`: `[pod/coredns-5d78c9869d-abcde/coredns] `; stern-like `ns/pod[container]: `;
  a journal's `Aug 06 05:43:16 host coredns[26900]: ` (no year: its time is not used).
- `kubectl logs --timestamps`: RFC 3339 with nanoseconds, `2024-05-01T10:00:00.123456789Z `.
- CoreDNS's own time: ISO `2019-01-24T17:13:10.262Z ` (1.2-1.3), Go's `2018/11/21 06:48:52 `
  (<= 1.2), or `29/Nov/2017:23:16:11 +0000 ` (0.9). Current CoreDNS writes none.
- The level: `[INFO] `, `[ERROR] `, `[WARNING] `, `[FATAL] `, `[DEBUG] `.

Bodies recognised (see `logs.py` for what each becomes): the errors plugin, the old proxy wording,
the log plugin's common/combined formats (old with a time, new), `consolidate` summaries, loop
detection, the 2018 forward health-check line, start-up banners, reload lines.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

_KUBECTL_PREFIX = re.compile(r"\[pod/(?P<pod>[^/\]\s]+)/(?P<container>[^\]\s]+)\] ")
_STERN_PREFIX = re.compile(r"(?P<ns>[\w.-]+)/(?P<pod>[\w.-]+)\[(?P<container>[\w.-]+)\]: ")
_JOURNAL_PREFIX = re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [\w.-]+\[\d+\]: ")
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d\d-\d\d)[T ](?P<time>\d\d:\d\d:\d\d)(?P<frac>\.\d+)?"
    r"(?P<zone>Z|[+-]\d\d:?\d\d)? "
)
_GOLOG = re.compile(r"(?P<date>\d{4}/\d\d/\d\d) (?P<time>\d\d:\d\d:\d\d)(?P<frac>\.\d+)? ")
_CLF = re.compile(r"(?P<clf>\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}) ")
_LEVEL = re.compile(r"\[(?P<level>INFO|ERROR|WARNING|WARN|FATAL|DEBUG)\] ")


@dataclass(frozen=True, slots=True)
class Unwrapped:
    pod: str | None
    ts: float | None
    level: str | None
    body: str


def unwrap(line: str) -> Unwrapped:
    """Peel the wrappers off one line; the body is what CoreDNS's plugin printed."""
    rest = line.rstrip("\r\n").lstrip("\ufeff").strip()
    pod = None
    for pattern in (_KUBECTL_PREFIX, _STERN_PREFIX, _JOURNAL_PREFIX):
        match = pattern.match(rest)
        if match:
            pod = match.groupdict().get("pod")
            rest = rest[match.end() :].lstrip()
            break
    ts = None
    for _ in range(2):  # kubectl's time, then CoreDNS's own: the first one wins
        stamp, rest = _take_time(rest)
        ts = ts if ts is not None else stamp
        if stamp is None:
            break
    level = None
    match = _LEVEL.match(rest)
    if match:
        level = "WARNING" if match.group("level") == "WARN" else match.group("level")
        rest = rest[match.end() :].lstrip()
    return Unwrapped(pod, ts, level, rest)


def _take_time(text: str) -> tuple[float | None, str]:
    match = _RFC3339.match(text)
    if match:
        return _epoch(match, "-"), text[match.end() :].lstrip()
    match = _GOLOG.match(text)
    if match:
        return _epoch(match, "/"), text[match.end() :].lstrip()
    match = _CLF.match(text)
    if match:
        return clf_time(match.group("clf")), text[match.end() :].lstrip()
    return None, text


def _epoch(match: re.Match[str], date_sep: str) -> float | None:
    zone = match.groupdict().get("zone") or "Z"
    frac = (match.group("frac") or ".0")[:7]  # Python reads at most microseconds
    date = match.group("date").replace(date_sep, "-")
    text = f"{date}T{match.group('time')}{frac}{'+00:00' if zone == 'Z' else zone}"
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None  # a time-shaped token that is no time (month 13): keep the line, not the time


def clf_time(text: str) -> float | None:
    """`07/Sep/2018:15:29:11 +0000` (the log plugin's old `{when}`) as epoch seconds."""
    try:
        return datetime.strptime(text, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        return None


def utc_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


_UNITS = ((86400, "day", "days"), (3600, "h", "h"), (60, "min", "min"), (1, "s", "s"))


def duration_text(seconds: float) -> str:
    """A span in its largest unit and the next one: 161 -> "2 min 41 s", 3725 -> "1 h 2 min".

    Rounding to one unit ("3 min" for 161 s) overstated spans by up to half a unit; here the
    smaller unit is cut, never rounded up, so the text never claims more time than was seen.
    """
    if not (seconds >= 0 and math.isfinite(seconds)):  # negative, NaN or infinite: no span
        return "0 s"
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f} s"
    total = round(seconds)
    for index, (size, singular, plural) in enumerate(_UNITS):
        if total >= size or size == 1:
            count, rest = divmod(total, size)
            text = f"{count} {singular if count == 1 else plural}"
            if index + 1 < len(_UNITS):
                smaller, small_singular, small_plural = _UNITS[index + 1]
                part = rest // smaller
                if part:
                    text += f" {part} {small_singular if part == 1 else small_plural}"
            return text
    return "0 s"  # unreachable: the 1 s unit always matches
