"""Pod sandboxes' resolv.conf under containerd's CRI plugin, traced to their pods.

kubelet builds each pod's resolv.conf when the sandbox is created and containerd's CRI plugin
writes it to `/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/<id>/resolv.conf`, which
every container of the pod mounts as /etc/resolv.conf. `dnsPolicy: Default` pods (CoreDNS) get
kubelet's resolvConf file as is; `ClusterFirst` pods get `clusterDNS` from the
KubeletConfiguration, the search list `<ns>.svc.<clusterDomain> svc.<clusterDomain>
<clusterDomain>` followed by the node file's, and `options ndots:5`. The file is never updated
while the pod lives: a change on the node reaches a pod only when the pod is recreated.

The pod a sandbox belongs to is read from the running sandbox's OCI bundle
(`/run/containerd/io.containerd.runtime.v2.task/k8s.io/<id>/config.json`, annotations
`io.kubernetes.cri.sandbox-name`, `-namespace`, `-uid`), and its kubelet pod directory
(`/var/lib/kubelet/pods/<uid>`) is named when present. containerd's metadata database
(meta.db, bbolt) is not read: a stopped sandbox is reported without its pod.
"""

from __future__ import annotations

from typing import Any

import yaml

from dnsdoctor.evidence.node.container_sources import (
    ContainerFile,
    JsonDoc,
    Tracer,
    copied_claims,
    read_json,
)
from dnsdoctor.evidence.node.kubelet import KUBELET_CONFIGS, find_kubelet_resolv
from dnsdoctor.evidence.node.rootfs import SafeRoot
from dnsdoctor.evidence.node.sources import MAX_FILES_PER_DIR, Claim

SANDBOXES = "/var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes"
BUNDLES = "/run/containerd/io.containerd.runtime.v2.task/k8s.io"
KUBELET_PODS = "/var/lib/kubelet/pods"
ANNOTATION = "io.kubernetes.cri.sandbox-"
REGENERATED = (
    "written by kubelet through containerd's CRI plugin when the pod sandbox is created (a "
    "copy of kubelet's resolvConf for dnsPolicy Default; clusterDNS, the cluster search "
    "domains and ndots:5 for ClusterFirst); never updated while the pod lives"
)


def scan(root: SafeRoot, host: Any, trace: Tracer) -> list[ContainerFile]:
    ids = root.listdir(SANDBOXES, limit=MAX_FILES_PER_DIR) or []
    if not ids:
        return []
    kubelet = find_kubelet_resolv(root)
    node_file = host
    if host is None or kubelet.path not in (host.asked, host.path):
        claims = host.claims if host is not None else []
        node_file = trace(root, kubelet.path, claims, 1) if kubelet.path else None
    base = copied_claims(node_file, f"written by kubelet from its resolvConf {kubelet.path}")
    cluster, domain = _cluster_claims(root)
    found = []
    for ident in ids:
        path = f"{SANDBOXES}/{ident}/resolv.conf"
        if not root.is_file(path):
            continue
        owner, namespace = _owner(root, ident)
        claims = base + cluster + _namespace_claims(domain, namespace)
        prov = trace(root, path, claims, 1)
        prov.owner, prov.manager, prov.regenerated = owner, "kubelet (containerd CRI)", REGENERATED
        found.append(ContainerFile("containerd", ident, owner, "pod network", prov))
    return found


def _owner(root: SafeRoot, ident: str) -> tuple[str, str]:
    bundle = read_json(root, f"{BUNDLES}/{ident}/config.json")
    data = bundle.data if bundle is not None and isinstance(bundle.data, dict) else {}
    notes = data.get("annotations") or {}
    if not isinstance(notes, dict) or not notes.get(f"{ANNOTATION}name"):
        return f"pod sandbox {ident[:12]} (no running bundle: pod unknown)", ""
    namespace = str(notes.get(f"{ANNOTATION}namespace") or "")
    owner = f"pod {namespace}/{notes[f'{ANNOTATION}name']}"
    uid = str(notes.get(f"{ANNOTATION}uid") or "")
    if uid and "/" not in uid and root.is_dir(f"{KUBELET_PODS}/{uid}"):
        owner += f" ({KUBELET_PODS}/{uid})"
    return owner, namespace


def _cluster_claims(root: SafeRoot) -> tuple[list[Claim], Claim | None]:
    """clusterDNS servers and the clusterDomain searches kubelet gives ClusterFirst pods."""
    how = "written by kubelet for dnsPolicy ClusterFirst pods"
    for path in KUBELET_CONFIGS:
        doc = _read_yaml(root, path)
        if doc is None:
            continue
        claims = doc.claims("clusterDNS", "nameserver", f"{how} (clusterDNS)")
        domains = doc.claims("clusterDomain", "search", f"{how} (clusterDomain)")
        domain = domains[0] if domains else None
        if domain is not None:
            svc = Claim(
                "search",
                f"svc.{domain.value}",
                domain.path,
                domain.line,
                domain.text,
                domain.mechanism,
            )
            claims += [domain, svc]
        return claims, domain
    return [], None


def _namespace_claims(domain: Claim | None, namespace: str) -> list[Claim]:
    if domain is None or not namespace:
        return []
    value = f"{namespace}.svc.{domain.value}"
    return [Claim("search", value, domain.path, domain.line, domain.text, domain.mechanism)]


def _read_yaml(root: SafeRoot, path: str) -> JsonDoc | None:
    """A KubeletConfiguration is YAML: keep only its node tree (line numbers) for claims."""
    text = root.read_text(path)
    if text is None:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    return JsonDoc(path, None, node, text.splitlines())
