"""Real DNS servers on loopback for the probe tests: Debian's unbound and dnsmasq, and the lab's
fault-injecting server. Each serves only a local zone (`probe.test.`) and refuses everything else,
so nothing is ever asked beyond 127.0.0.0/8."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import dns.message
import dns.query
import pytest

NAME = "www.probe.test."


def require(binary: str) -> str:
    path = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")
    if path is None:
        message = f"{binary} is not installed (apt-get install unbound dnsmasq-base)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_address() -> tuple[str, int]:
    """An unused 127.0.0.x address and a port free there for UDP and TCP."""
    host = f"127.0.{os.getpid() % 200 + 20}.{int(time.time() * 1000) % 200 + 20}"
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return host, port
    raise RuntimeError("no free loopback port")


def wait_answering(host: str, port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}: {out[-2000:]}")
        with contextlib.suppress(Exception):
            dns.query.udp(dns.message.make_query(NAME, "A"), host, timeout=0.3, port=port)
            return
        time.sleep(0.1)
    raise RuntimeError(f"no answer from {host}:{port}")


@contextlib.contextmanager
def running(argv: list[str], host: str, port: int, probe: bool = True) -> Iterator[str]:
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        if probe:
            wait_answering(host, port, process)
        else:
            _wait_ready_line(process)
        yield f"{host}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()


def _wait_ready_line(process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    if not line.startswith("ready"):
        raise RuntimeError(f"lab server did not start: {line!r}")


UNBOUND_CONF = """server:
    interface: {host}@{port}
    port: {port}
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "{dir}"
    pidfile: "{dir}/unbound.pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    local-zone: "." refuse
    local-zone: "probe.test." static
    local-data: "www.probe.test. 30 IN A 192.0.2.1"
    local-data: "www.probe.test. 30 IN AAAA 2001:db8::1"
    local-data: "probe.test. 30 IN SOA ns.probe.test. admin.probe.test. 1 3600 600 86400 30"
remote-control:
    control-enable: no
"""


@contextlib.contextmanager
def unbound(tmp: Path) -> Iterator[str]:
    """Debian's unbound, authoritative for probe.test. only: every other name is REFUSED."""
    binary = require("unbound")
    host, port = free_address()
    conf = tmp / "unbound.conf"
    conf.write_text(UNBOUND_CONF.format(host=host, port=port, dir=tmp))
    with running([binary, "-d", "-c", str(conf)], host, port) as server:
        yield server


@contextlib.contextmanager
def dnsmasq(tmp: Path) -> Iterator[str]:
    """Debian's dnsmasq with no upstream (--no-resolv): it answers only its host-record."""
    binary = require("dnsmasq")
    host, port = free_address()
    argv = [
        binary,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--bind-interfaces",
        f"--listen-address={host}",
        "--except-interface=none",
        f"--port={port}",
        f"--pid-file={tmp}/dnsmasq.pid",
        "--user=root",
        "--host-record=www.probe.test,192.0.2.2,2001:db8::2",
        "--local=/probe.test/",
    ]
    with running(argv, host, port) as server:
        yield server


@contextlib.contextmanager
def lab_server(**config: object) -> Iterator[str]:
    """The lab's fault-injecting server (blackhole, delays, no TCP ...) on a free address."""
    host, port = free_address()
    config = {"address": host, "port": port, "zone": {NAME: {"A": ["192.0.2.3"]}}, **config}
    argv = [sys.executable, "-m", "dnsdoctor.lab.server", json.dumps(config)]
    with running(argv, host, port, probe=False) as server:
        yield server
