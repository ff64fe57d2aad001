"""The part of a lab run that executes inside the private network + mount namespace.

Started by `dnsdoctor.lab.runner` as
``unshare -n -m --propagation private python -m dnsdoctor.lab._inside <json-config>``.
It refuses to run unless the namespace holds only ``lo``, brings ``lo`` up, bind-mounts the
scenario's resolv.conf / nsswitch.conf / hosts over /etc (private mounts: the host never sees
them), starts the DNS servers and tcpdump, runs the clients one after the other, stops
every process it started by PID, and prints one JSON line with the results.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

LISTENING_TIMEOUT = 10.0
CLIENT_TIMEOUT = 30.0
SETTLE_S = 0.3  # after the last client, wait for late answers before stopping tcpdump
GAP_S = 0.2  # between clients


class InsideError(RuntimeError):
    pass


def check_namespace() -> None:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if line.strip()]
    if names != ["lo"]:
        raise InsideError(f"refusing to run: namespace has interfaces {names}, expected only lo")


def _wait_for(path: Path, pattern: str, proc: subprocess.Popen[Any], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and pattern in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise InsideError(f"{proc.args!r} exited early: {path.read_text(errors='replace')}")
        time.sleep(0.01)
    raise InsideError(f"timed out waiting for {pattern!r} in {path}")


def _stop(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
    if proc.poll() is None:
        os.kill(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


def bind_files(work: Path, cfg: dict[str, Any]) -> None:
    for name, text in (
        ("resolv.conf", cfg["resolv_conf"]),
        ("nsswitch.conf", cfg["nsswitch"]),
        ("hosts", cfg["hosts"]),
    ):
        src = work / name
        src.write_text(text)
        target = Path("/etc") / name
        if not target.exists():
            raise InsideError(f"{target} does not exist; not creating files on the host")
        subprocess.run(["mount", "--bind", str(src), str(target)], check=True)
        if target.read_text() != text:
            raise InsideError(f"bind mount over {target} did not take effect")


def client_env(client: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("RES_OPTIONS", "LOCALDOMAIN", "HOSTALIASES")
    }
    env["GODEBUG"] = "netdns=go"
    if client == "gai-musl-coarse":
        env.setdefault("DNSDOCTOR_CLOCK_QUANTUM_MS", "4")
    return env


def run_client(cfg: dict[str, Any], client: dict[str, Any]) -> dict[str, Any]:
    """Run one resolver client to completion; return its JSON line plus how it ran."""
    argv = [cfg["binaries"][client["client"]], *client["flags"], client["name"]]
    started = time.time()
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=client_env(client["client"]),
        timeout=CLIENT_TIMEOUT,
        check=False,
    )
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    got: dict[str, Any] = json.loads(lines[-1]) if lines else {"result": "crash"}
    got.update(
        client=client["client"], argv=argv[1:], started=round(started, 6), exit_code=done.returncode
    )
    if done.stderr:
        got["stderr"] = done.stderr[-2000:]
    return got


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    if os.geteuid() != 0:
        raise InsideError("must run as root inside the namespace")
    check_namespace()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    work = Path(cfg["work_dir"])
    work.mkdir(parents=True, exist_ok=True)
    bind_files(work, cfg)

    procs: list[subprocess.Popen[Any]] = []
    result: dict[str, Any] = {"clients": [], "servers": []}
    try:
        for i, server in enumerate(cfg["servers"]):
            log = work / f"server-{i}-{server['address']}.log"
            with log.open("w") as fh:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "dnsdoctor.lab.server", json.dumps(server)],
                    stdout=fh,
                    stderr=subprocess.STDOUT,
                )
            procs.append(proc)
            _wait_for(log, f"ready {server['address']}", proc, LISTENING_TIMEOUT)
            result["servers"].append(
                {"address": server["address"], "pid": proc.pid, "log": str(log)}
            )

        pcap = Path(cfg["pcap"])
        tcpdump_err = work / "tcpdump.stderr"
        with tcpdump_err.open("w") as fh:
            tcpdump = subprocess.Popen(
                [
                    "tcpdump",
                    "-i",
                    "lo",
                    "-n",
                    "-U",
                    "--immediate-mode",
                    "-Z",
                    "root",
                    "-w",
                    str(pcap),
                ],
                stdout=subprocess.DEVNULL,
                stderr=fh,
            )
        procs.append(tcpdump)
        _wait_for(tcpdump_err, "listening on", tcpdump, LISTENING_TIMEOUT)
        time.sleep(0.05)

        for n, client in enumerate(cfg["clients"]):
            if n:
                time.sleep(float(cfg.get("gap_s", GAP_S)))
            result["clients"].append(run_client(cfg, client))

        time.sleep(SETTLE_S)
        _stop(tcpdump, signal.SIGINT)
        stats = tcpdump_err.read_text(errors="replace")
        m = re.search(r"(\d+) packets? dropped by kernel", stats)
        dropped = int(m.group(1)) if m else -1
        captured = re.search(r"(\d+) packets? captured", stats)
        result["tcpdump"] = {
            "captured": int(captured.group(1)) if captured else -1,
            "dropped_by_kernel": dropped,
            "stderr": stats[-1000:],
        }
        if dropped != 0:
            raise InsideError(f"tcpdump dropped packets or gave no stats: {stats!r}")
    finally:
        for proc in reversed(procs):
            _stop(proc, signal.SIGINT if proc.args[0] == "tcpdump" else signal.SIGTERM)
    return result


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m dnsdoctor.lab._inside <json-config>", file=sys.stderr)
        return 2
    cfg = json.loads(sys.argv[1])
    try:
        out = run(cfg)
    except (InsideError, subprocess.SubprocessError, OSError) as exc:
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
