"""Which resolv.conf kubelet hands to `dnsPolicy: Default` pods, CoreDNS included.

kubelet takes `resolvConf` from its KubeletConfiguration file (`--config`, kubeadm writes
`/var/lib/kubelet/config.yaml`), and the `--resolv-conf` flag overrides it; kubeadm puts flags in
`/var/lib/kubelet/kubeadm-flags.env` (`KUBELET_KUBEADM_ARGS`), `/etc/default/kubelet` or
`/etc/sysconfig/kubelet` (`KUBELET_EXTRA_ARGS`) and systemd drop-ins. With neither, the default
is `/etc/resolv.conf`. kubeadm sets `/run/systemd/resolve/resolv.conf` when systemd-resolved runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from dnsdoctor.evidence.node.rootfs import SafeRoot

DEFAULT_RESOLV_CONF = "/etc/resolv.conf"
KUBELET_CONFIGS = ("/var/lib/kubelet/config.yaml", "/etc/kubernetes/kubelet-config.yaml")
FLAG_FILES = (
    "/var/lib/kubelet/kubeadm-flags.env",
    "/etc/default/kubelet",
    "/etc/sysconfig/kubelet",
)
DROPIN_DIRS = (
    "/etc/systemd/system/kubelet.service.d",
    "/usr/lib/systemd/system/kubelet.service.d",
    "/lib/systemd/system/kubelet.service.d",
)
_FLAG = re.compile(r"--(resolv-conf|config)(?:=|\s+)(\"[^\"]*\"|'[^']*'|\S+)")


@dataclass(frozen=True, slots=True)
class KubeletResolv:
    """kubelet's resolvConf and where that setting comes from (None: kubelet's default)."""

    path: str  # "" means kubelet passes no resolv.conf (resolvConf: "")
    source: str | None  # "/var/lib/kubelet/config.yaml:12"
    text: str  # the line that sets it
    kubelet_found: bool  # any kubelet config or flag file under the root

    def to_dict(self) -> dict[str, object]:
        return {
            "resolv_conf": self.path,
            "source": self.source,
            "text": self.text,
            "kubelet_found": self.kubelet_found,
        }


def find_kubelet_resolv(root: SafeRoot) -> KubeletResolv:
    found = False
    config_paths = list(KUBELET_CONFIGS)
    flag: KubeletResolv | None = None
    for path, number, line in _flag_lines(root):
        found = True
        for name, value in _FLAG.findall(line):
            value = value.strip("\"'")
            if name == "config":
                config_paths.insert(0, value)
            else:
                flag = KubeletResolv(value, f"{path}:{number}", line.strip(), True)
    if flag is not None:  # the flag wins over the config file
        return flag
    for path in dict.fromkeys(config_paths):
        text = root.read_text(path)
        if text is None:
            continue
        found = True
        setting = _config_resolv(text)
        if setting is not None:
            value, number = setting
            lines = text.splitlines()
            return KubeletResolv(value, f"{path}:{number}", lines[number - 1].strip(), True)
    return KubeletResolv(DEFAULT_RESOLV_CONF, None, "", found)


def _flag_lines(root: SafeRoot) -> list[tuple[str, int, str]]:
    paths = list(FLAG_FILES)
    for directory in DROPIN_DIRS:
        names = root.listdir(directory, limit=100) or []
        paths += [f"{directory}/{n}" for n in names if n.endswith(".conf")]
    found = []
    for path in paths:
        text = root.read_text(path)
        if text is None:
            continue
        found.append((path, 0, ""))
        for number, line in enumerate(text.splitlines(), 1):
            if not line.lstrip().startswith("#") and "--" in line:
                found.append((path, number, line))
    return found


def _config_resolv(text: str) -> tuple[str, int] | None:
    """`resolvConf` from a KubeletConfiguration document, with its line number."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if getattr(key, "value", None) == "resolvConf" and isinstance(value, yaml.ScalarNode):
            return str(value.value), key.start_mark.line + 1
    return None
