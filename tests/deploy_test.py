#!/usr/bin/python3
"""deploy_test - the container image and the Kubernetes manifests (deploy/).

Parses deploy/Dockerfile, deploy/davy.yaml and every deploy/kubernetes/*.yaml
(PyYAML) and checks what the deployment promises and what its parts must
agree on: the DaemonSet's host network, probes, scrape annotations and
security context, the ConfigMap (deploy/davy.yaml byte for byte), the
pod-list sidecar and its RBAC, Redis against davy.yaml's URL, the image's
stages, packages, capabilities and user. A self-test then breaks the
manifests in memory, one thing at a time, and checks that the check meant
to catch each break fails: every check must be able to fail. Last, davy
itself must accept deploy/davy.yaml (davy -c deploy/davy.yaml --print-config).
Usage: deploy_test.py DAVY
"""
import copy
import os
import re
import shlex
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import ROOT, Tally  # noqa: E402

try:
    import yaml
except ImportError:  # .ci/deps.sh installs python3-yaml
    yaml = None

DEPLOY = os.path.join(ROOT, "deploy")
KUBE = os.path.join(DEPLOY, "kubernetes")
NAMESPACE = "davy-system"
DAVY_C, SYNC_C, INIT_C = "davy", "pods-sync", "pods-init"
TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
CLUSTER_KINDS = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
BUILD_DEPS = ["libpcap-dev", "libndpi-dev", "libck-dev", "libjson-c-dev", "libyaml-dev",
              "liburcu-dev", "libssl-dev", "libhiredis-dev", "libmaxminddb-dev",
              "libmicrohttpd-dev", "make", "gcc", "pkg-config"]
COMPILERS = {"gcc", "g++", "cpp", "clang", "cc", "make", "pkg-config", "pkgconf",
             "build-essential", "binutils"}
IOCS_DIR = "/usr/share/davy/iocs"

# davy's memory for the bounds davy.yaml sets (docs/DESIGN.md, "Bounds";
# bench/RESULTS.md, "Memory per flow"); the limit must cover their sum and a
# quarter more (nDPI's own allocations, the pod list, the feeds)
FLOW_BYTES = 830
STRATUM_BYTES = 11 * 1024
OUTPUT_QUEUE = 4 << 20          # per worker
DNS_ENTRY = 540                 # per entry, per worker
DEFRAG_BYTES = 64 << 10         # per datagram in reassembly
BASE_BYTES = 16 << 20           # an idle davy
AUTO_INTERFACES = 3             # interface: auto: bridge, overlay, uplink
HEADROOM = 1.25
DEFAULTS = {"max-flows": "1000000", "stratum-flows": "16384", "reassembly-memory": "64M",
            "ring-size": "16M", "redis-queue": "256M", "dns-cache-size": "8192",
            "defrag-datagrams": "256", "buffer-size": "2M"}


# ---- reading ------------------------------------------------------------------

class World:
    """Everything the checks read; the self-test breaks a deep copy of it."""

    def __init__(self):
        self.errors = []        # what did not parse
        self.files = []         # [(file name, [object, ...])] in file-name order
        with open(os.path.join(DEPLOY, "davy.yaml")) as f:
            self.davy_text = f.read()
        self.settings = yaml.safe_load(self.davy_text) or {}
        with open(os.path.join(DEPLOY, "Dockerfile")) as f:
            self.dockerfile = f.read()
        for name in sorted(os.listdir(KUBE)):
            if not name.endswith((".yaml", ".yml")):
                continue
            try:
                with open(os.path.join(KUBE, name)) as f:
                    docs = [d for d in yaml.safe_load_all(f) if d is not None]
            except yaml.YAMLError as e:
                self.errors.append(f"{name}: {e}")
                docs = []
            self.files.append((name, docs))

    def objects(self, kind=None):
        return [d for _, docs in self.files for d in docs
                if isinstance(d, dict) and (kind is None or d.get("kind") == kind)]

    def find(self, kind, name, namespace=None):
        for d in self.objects(kind):
            md = d.get("metadata") or {}
            if md.get("name") == name and (namespace is None or md.get("namespace") == namespace):
                return d
        return None

    def daemonset(self):
        ds = self.objects("DaemonSet")
        return ds[0] if len(ds) == 1 else None


def dig(d, path, default=None):
    """d's value at a dotted path ("spec.template.spec"), default when any
    step is missing or not a mapping."""
    for k in path.split("."):
        if not isinstance(d, dict) or k not in d:
            return default
        d = d[k]
    return d


def pod_spec(obj):
    return dig(obj, "spec.template.spec", {}) or {}


def containers(spec, init=True):
    return list(spec.get("containers") or []) + (list(spec.get("initContainers") or []) if init else [])


def container(spec, name):
    for c in containers(spec):
        if c.get("name") == name:
            return c
    return None


def eff(spec, c, key):
    """A container's security setting, or the pod's when the container has none."""
    sc = c.get("securityContext") or {}
    return sc[key] if key in sc else (spec.get("securityContext") or {}).get(key)


def mount_at(c, path):
    for m in c.get("volumeMounts") or []:
        if m.get("mountPath") == path:
            return m
    return None


def volume(spec, name):
    for v in spec.get("volumes") or []:
        if v.get("name") == name:
            return v
    return None


def resolve_port(c, port):
    """A probe's port (number or name) as a number, None when unknown."""
    if isinstance(port, int):
        return port
    for p in c.get("ports") or []:
        if p.get("name") == port:
            return p.get("containerPort")
    return int(port) if isinstance(port, str) and port.isdigit() else None


def metrics_addr(settings):
    """(address, port) of davy.yaml's `metrics: ADDR:PORT`, or None."""
    v = str(settings.get("metrics", ""))
    m = re.fullmatch(r"(\[[0-9A-Fa-f:.]+\]|[^:\[\]]*):(\d{1,5})", v)
    if not m or not 0 < int(m.group(2)) < 65536:
        return None
    return m.group(1), int(m.group(2))


def size_bytes(v):
    """davy's BYTES values: a number with an optional K, M or G (1024-based)."""
    m = re.fullmatch(r"(\d+)([KMG]?)", str(v).strip())
    if not m:
        raise ValueError(f"not a size: {v!r}")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30}[m.group(2)]


def quantity(v):
    """A Kubernetes quantity ("250m", "2", "512Mi", "1G") as a number."""
    m = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|Ti|k|K|M|G|T)?", str(v))
    if not m:
        raise ValueError(f"not a quantity: {v!r}")
    mult = {None: 1, "m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
            "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[m.group(2)]
    return float(m.group(1)) * mult


def redis_memory(v):
    """redis.conf's memory units: 1gb = 1024^3, 1g = 10^9."""
    m = re.fullmatch(r"(\d+)(b|k|kb|m|mb|g|gb)?", str(v).lower())
    if not m:
        raise ValueError(f"not a Redis memory size: {v!r}")
    return int(m.group(1)) * {None: 1, "b": 1, "k": 1e3, "kb": 2**10, "m": 1e6, "mb": 2**20,
                              "g": 1e9, "gb": 2**30}[m.group(2)]


def as_list(v):
    return v if isinstance(v, list) else ([] if v is None else [v])


def script_of(c):
    """A container's command line as one string (shell scripts included)."""
    return " ".join(str(x) for x in as_list(c.get("command")) + as_list(c.get("args")))


# ---- the Dockerfile -----------------------------------------------------------

def dockerfile_stages(text):
    """[[(INSTRUCTION, arguments), ...] per stage]: continuation lines joined,
    comment lines dropped (as docker does)."""
    lines, cur = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if s.startswith("#") or (not s and cur == ""):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        if cur.strip():
            lines.append(cur.strip())
        cur = ""
    stages = []
    for ln in lines:
        instr, _, rest = ln.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instr, rest.strip()))
    return stages


def apt_installs(stage):
    """The packages each `apt-get install` of a stage names, and every RUN
    that uses apt-get."""
    pkgs, runs = [], []
    for instr, rest in stage:
        if instr != "RUN" or "apt-get" not in rest:
            continue
        runs.append(rest)
        for cmd in re.split(r"&&|;|\|\|", rest):
            words = cmd.split()
            if "apt-get" in words and "install" in words:
                pkgs += [w for w in words[words.index("install") + 1:] if not w.startswith("-")]
    return pkgs, runs


def setcap_caps(text):
    """The capabilities `setcap CAPS+ep /usr/bin/davy` gives, as
    Kubernetes names ({"NET_RAW", ...}), or None."""
    m = re.search(r"setcap\s+(\S+?)[+=]ep\s+/usr/bin/davy", text)
    if not m:
        return None
    return {c.strip().upper().removeprefix("CAP_") for c in m.group(1).split(",")}


def exec_form(rest):
    """A JSON-array ENTRYPOINT/CMD as a list, else None."""
    import json
    try:
        v = json.loads(rest)
    except ValueError:
        return None
    return v if isinstance(v, list) else None


# ---- the checks -----------------------------------------------------------------
# Each returns (ok, detail): ok True, False, or None (skipped, detail says why).

CHECKS = []


def check(name):
    def reg(fn):
        CHECKS.append((name, fn))
        return fn
    return reg


def verdict(problems, ok_detail=""):
    return (not problems, "; ".join(problems) if problems else ok_detail)


@check("every manifest parses; each object has apiVersion, kind, metadata.name")
def c_parse(w):
    p = list(w.errors)
    if not w.files:
        p.append("no deploy/kubernetes/*.yaml")
    for name, docs in w.files:
        for d in docs:
            if not isinstance(d, dict) or not all([d.get("apiVersion"), d.get("kind"), dig(d, "metadata.name")]):
                p.append(f"{name}: an object without apiVersion/kind/metadata.name: {str(d)[:80]}")
    return verdict(p)


@check("labels, annotations and env values are strings")
def c_strings(w):
    p = []

    def strs(where, m):
        for k, v in (m or {}).items():
            if not isinstance(v, str):
                p.append(f"{where}: {k}: {v!r} is not a string")
    for d in w.objects():
        n = f"{d.get('kind')}/{dig(d, 'metadata.name')}"
        for path in ("metadata.labels", "metadata.annotations",
                     "spec.template.metadata.labels", "spec.template.metadata.annotations"):
            strs(f"{n} {path}", dig(d, path))
        for c in containers(pod_spec(d)):
            for e in c.get("env") or []:
                if "value" in e and not isinstance(e["value"], str):
                    p.append(f"{n} {c.get('name')}: env {e.get('name')}={e['value']!r} is not a string")
    return verdict(p)


@check(f"Namespace {NAMESPACE} exists and holds every namespaced object")
def c_namespace(w):
    p = [] if w.find("Namespace", NAMESPACE) else [f"no Namespace {NAMESPACE}"]
    for d in w.objects():
        if d.get("kind") not in CLUSTER_KINDS and dig(d, "metadata.namespace") != NAMESPACE:
            p.append(f"{d.get('kind')}/{dig(d, 'metadata.name')} is in {dig(d, 'metadata.namespace')!r}")
    return verdict(p)


@check("the namespace's Pod Security level admits hostNetwork and NET_RAW/NET_ADMIN (privileged)")
def c_pod_security(w):
    ns = w.find("Namespace", NAMESPACE) or {}
    v = dig(ns, "metadata.labels", {}).get("pod-security.kubernetes.io/enforce")
    return (v == "privileged", f"pod-security.kubernetes.io/enforce is {v!r}")


@check("kubectl apply -f deploy/kubernetes/ creates the namespace before what is in it")
def c_order(w):
    seen_ns = False
    for name, docs in w.files:      # kubectl reads a folder in file-name order
        for d in docs:
            if d.get("kind") == "Namespace" and dig(d, "metadata.name") == NAMESPACE:
                seen_ns = True
            elif dig(d, "metadata.namespace") == NAMESPACE and not seen_ns:
                return (False, f"{name}: {d.get('kind')}/{dig(d, 'metadata.name')} comes before the Namespace")
    return (seen_ns, "" if seen_ns else "no Namespace")


@check("one DaemonSet, updateStrategy RollingUpdate")
def c_daemonset(w):
    ds = w.objects("DaemonSet")
    if len(ds) != 1:
        return (False, f"{len(ds)} DaemonSets")
    t = dig(ds[0], "spec.updateStrategy.type")
    return (t == "RollingUpdate", f"updateStrategy.type is {t!r}")


@check("the DaemonSet uses the host network: hostNetwork true")
def c_host_network(w):
    v = pod_spec(w.daemonset()).get("hostNetwork")
    return (v is True, f"hostNetwork is {v!r}")


@check("dnsPolicy ClusterFirstWithHostNet (cluster names from the host network)")
def c_dns_policy(w):
    v = pod_spec(w.daemonset()).get("dnsPolicy")
    return (v == "ClusterFirstWithHostNet", f"dnsPolicy is {v!r}")


@check("every container (init too) has cpu and memory requests and limits, requests <= limits")
def c_resources(w):
    p, n = [], 0
    for d in w.objects():
        for c in containers(pod_spec(d)):
            n += 1
            r = c.get("resources") or {}
            where = f"{d.get('kind')}/{dig(d, 'metadata.name')} {c.get('name')}"
            for res in ("cpu", "memory"):
                req, lim = dig(r, f"requests.{res}"), dig(r, f"limits.{res}")
                if req is None or lim is None:
                    p.append(f"{where}: {res} request {req!r}, limit {lim!r}")
                elif quantity(req) > quantity(lim):
                    p.append(f"{where}: {res} request {req} > limit {lim}")
    if n == 0:
        p.append("no containers")
    return verdict(p)


def tolerated(tolerations, key, effect, value=None):
    """Whether a taint key[=value]:effect is tolerated (the scheduler's rule)."""
    for t in tolerations or []:
        op = t.get("operator", "Equal")
        if t.get("effect") not in (None, "", effect):
            continue
        if op == "Exists" and t.get("key") in (None, ""):
            return True
        if t.get("key") == key and (op == "Exists" or t.get("value") == value):
            return True
    return False


@check("tolerations: every node, the control plane explicitly")
def c_tolerations(w):
    tol = pod_spec(w.daemonset()).get("tolerations") or []
    p = []
    if not tolerated(tol, "node-role.kubernetes.io/control-plane", "NoSchedule"):
        p.append("node-role.kubernetes.io/control-plane:NoSchedule is not tolerated")
    if not tolerated(tol, "example.com/dedicated", "NoSchedule", "gpu"):
        p.append("a site's own taint (example.com/dedicated=gpu:NoSchedule) is not tolerated")
    if not any(t.get("key") == "node-role.kubernetes.io/control-plane" for t in tol):
        p.append("no explicit node-role.kubernetes.io/control-plane toleration")
    return verdict(p)


@check("davy gets NODE_NAME from the downward API (fieldRef spec.nodeName)")
def c_node_name(w):
    c = container(pod_spec(w.daemonset()), DAVY_C) or {}
    for e in c.get("env") or []:
        if e.get("name") == "NODE_NAME":
            v = dig(e, "valueFrom.fieldRef.fieldPath")
            return (v == "spec.nodeName", f"NODE_NAME's fieldPath is {v!r}")
    return (False, "no NODE_NAME in davy's env")


def config_arg(c):
    args = as_list(c.get("args"))
    return args[1] if len(args) == 2 and args[0] in ("-c", "--config") else None


@check("davy's args are -c /etc/davy/davy.yaml, the image's CMD, inside the ConfigMap's mount")
def c_args(w):
    spec = pod_spec(w.daemonset())
    c = container(spec, DAVY_C) or {}
    p = []
    path = config_arg(c)
    if c.get("command") not in (None, ["/usr/bin/davy"]):
        p.append(f"command {c.get('command')!r} replaces the image's entrypoint")
    if path != "/etc/davy/davy.yaml":
        p.append(f"args are {c.get('args')!r}")
    cmd = [exec_form(r) for i, r in dockerfile_stages(w.dockerfile)[-1] if i == "CMD"]
    if not cmd or cmd[-1] != as_list(c.get("args")):
        p.append(f"the image's CMD {cmd[-1] if cmd else None!r} differs from the args")
    m = mount_at(c, os.path.dirname(path or "/nonexistent/x"))
    v = volume(spec, m.get("name")) if m else None
    if not v or "configMap" not in v:
        p.append(f"{os.path.dirname(path or '?')} is not a ConfigMap volume")
    return verdict(p)


def config_volume(w):
    """(ConfigMap, volume, mountPath) of davy's configuration."""
    spec = pod_spec(w.daemonset())
    c = container(spec, DAVY_C) or {}
    mdir = os.path.dirname(config_arg(c) or "/etc/davy/davy.yaml")
    m = mount_at(c, mdir) or {}
    v = volume(spec, m.get("name")) or {}
    cm = w.find("ConfigMap", dig(v, "configMap.name"), NAMESPACE)
    return cm, v, mdir


def projected(v, cm):
    """{path in the volume: ConfigMap key} of a configMap volume."""
    items = dig(v, "configMap.items")
    if items is None:
        return {k: k for k in (cm or {}).get("data") or {}}
    return {i.get("path"): i.get("key") for i in items}


@check("the ConfigMap's davy.yaml is deploy/davy.yaml, byte for byte")
def c_configmap_same(w):
    cm, v, mdir = config_volume(w)
    if not cm:
        return (False, "davy's config volume names no ConfigMap of this namespace")
    c = container(pod_spec(w.daemonset()), DAVY_C) or {}
    key = projected(v, cm).get(os.path.relpath(config_arg(c) or "", mdir))
    text = (cm.get("data") or {}).get(key)
    if text == w.davy_text:
        return (True, "")
    if text is None:
        return (False, f"no key for {config_arg(c)} in ConfigMap {dig(cm, 'metadata.name')}")
    a, b = w.davy_text.splitlines(True), text.splitlines(True)
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return (False, f"line {i + 1}: deploy/davy.yaml {x!r}, ConfigMap {y!r}")
    return (False, f"deploy/davy.yaml has {len(a)} lines ({len(w.davy_text)} bytes), the ConfigMap "
                   f"{len(b)} ({len(text)} bytes)")


@check("every /etc/davy file davy.yaml names is in the ConfigMap volume")
def c_configmap_files(w):
    cm, v, mdir = config_volume(w)
    have = projected(v, cm)
    data = (cm or {}).get("data") or {}
    p = []
    paths = [str(x) for x in as_list(w.settings.get("iocs"))]
    for k in ("geoip", "asn", "pods"):
        paths += [str(w.settings[k])] if k in w.settings else []
    for path in paths:
        if path.startswith(mdir + "/"):
            key = have.get(os.path.relpath(path, mdir))
            if key not in data:
                p.append(f"{path}: no such item in the ConfigMap volume")
    if "davy.yaml" not in have:
        p.append("davy.yaml is not projected")
    return verdict(p)


def caps(c):
    cap = dig(c, "securityContext.capabilities", {}) or {}
    return [str(x).upper() for x in cap.get("add") or []], [str(x).upper() for x in cap.get("drop") or []]


@check("davy: runAsNonRoot, non-root user, read-only root, drop ALL, add exactly NET_RAW and "
       "NET_ADMIN, allowPrivilegeEscalation true")
def c_davy_security(w):
    spec = pod_spec(w.daemonset())
    c = container(spec, DAVY_C) or {}
    add, drop = caps(c)
    p = []
    if eff(spec, c, "runAsNonRoot") is not True:
        p.append(f"runAsNonRoot {eff(spec, c, 'runAsNonRoot')!r}")
    if not isinstance(eff(spec, c, "runAsUser"), int) or eff(spec, c, "runAsUser") == 0:
        p.append(f"runAsUser {eff(spec, c, 'runAsUser')!r}")
    if dig(c, "securityContext.readOnlyRootFilesystem") is not True:
        p.append("readOnlyRootFilesystem is not true")
    if dig(c, "securityContext.privileged") is True:
        p.append("privileged")
    # file capabilities need execve without no_new_privs
    if dig(c, "securityContext.allowPrivilegeEscalation") is not True:
        p.append(f"allowPrivilegeEscalation {dig(c, 'securityContext.allowPrivilegeEscalation')!r}")
    if drop != ["ALL"]:
        p.append(f"drop {drop}")
    if sorted(add) != ["NET_ADMIN", "NET_RAW"]:
        p.append(f"add {add}")
    return verdict(p)


@check("the capabilities added are exactly the binary's file capabilities (setcap in the image)")
def c_caps_match(w):
    add, _ = caps(container(pod_spec(w.daemonset()), DAVY_C) or {})
    fc = setcap_caps(w.dockerfile)
    return (fc is not None and set(add) == fc,
            f"setcap gives {sorted(fc) if fc else None}, the container adds {sorted(add)}: a file "
            "capability outside the container's set makes exec fail (EPERM)")


@check("davy declares its metrics port (davy.yaml's `metrics:`) as a containerPort")
def c_container_port(w):
    c = container(pod_spec(w.daemonset()), DAVY_C) or {}
    ma = metrics_addr(w.settings)
    ports = [p.get("containerPort") for p in c.get("ports") or []]
    return (ma is not None and ma[1] in ports, f"metrics {w.settings.get('metrics')!r}, containerPorts {ports}")


@check("`metrics:` is ADDR:PORT and reachable from the kubelet (not loopback)")
def c_metrics_addr(w):
    ma = metrics_addr(w.settings)
    if ma is None:
        return (False, f"metrics: {w.settings.get('metrics')!r} is not ADDR:PORT")
    return (not ma[0].startswith(("127.", "[::1]", "localhost")),
            f"metrics listens on {ma[0]}: the kubelet probes the node's address")


@check("liveness and readiness probes GET /healthz on the metrics port")
def c_probes(w):
    c = container(pod_spec(w.daemonset()), DAVY_C) or {}
    ma = metrics_addr(w.settings)
    p = []
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        pr = c.get(probe)
        if pr is None and probe == "startupProbe":
            continue
        path, port = dig(pr, "httpGet.path"), resolve_port(c, dig(pr, "httpGet.port"))
        if path != "/healthz" or ma is None or port != ma[1]:
            p.append(f"{probe}: GET {path!r} on port {port!r}, metrics is {w.settings.get('metrics')!r}")
    return verdict(p)


@check("Prometheus annotations: scrape \"true\", port = the metrics port, path /metrics")
def c_scrape(w):
    a = dig(w.daemonset(), "spec.template.metadata.annotations", {}) or {}
    ma = metrics_addr(w.settings)
    ok = (a.get("prometheus.io/scrape") == "true" and ma is not None
          and a.get("prometheus.io/port") == str(ma[1]) and a.get("prometheus.io/path") == "/metrics")
    return (ok, f"annotations {a}, metrics {w.settings.get('metrics')!r}")


@check("terminationGracePeriodSeconds is longer than davy's shutdown-timeout")
def c_grace(w):
    g = pod_spec(w.daemonset()).get("terminationGracePeriodSeconds", 30)
    st = w.settings.get("shutdown-timeout")
    if not isinstance(st, int):
        return (False, f"davy.yaml's shutdown-timeout is {st!r}")
    return (isinstance(g, int) and g > st, f"grace {g} s, shutdown-timeout {st} s")


def run_volume(w):
    """The volume mounted at the folder of davy.yaml's `pods:`."""
    spec = pod_spec(w.daemonset())
    d = os.path.dirname(str(w.settings.get("pods", "")))
    m = mount_at(container(spec, DAVY_C) or {}, d)
    return spec, d, (m or {}).get("name")


@check("davy.yaml's pods: folder is one emptyDir, davy mounts it read-only, pods-* read-write")
def c_run_mount(w):
    spec, d, vname = run_volume(w)
    p = []
    if not d.startswith("/") or vname is None:
        return (False, f"pods: {w.settings.get('pods')!r}: davy mounts nothing at {d!r}")
    if "emptyDir" not in (volume(spec, vname) or {}):
        p.append(f"volume {vname} is not an emptyDir")
    if not mount_at(container(spec, DAVY_C), d).get("readOnly"):
        p.append("davy's mount is not read-only")
    for name in (SYNC_C, INIT_C):
        m = mount_at(container(spec, name) or {}, d)
        if not m or m.get("name") != vname or m.get("readOnly"):
            p.append(f"{name} does not mount {vname} read-write at {d}")
    return verdict(p)


WRITE_RE = re.compile(r"kubectl get pods -A -o json(?: --request-timeout=\S+)? > (\S+) && mv (\S+) (\S+?)(?=[;\s]|$)")


@check("pods-init and pods-sync write davy.yaml's pods: file by kubectl get pods -A -o json, "
       "then an atomic mv")
def c_pods_write(w):
    spec = pod_spec(w.daemonset())
    want = str(w.settings.get("pods"))
    p = []
    for name in (INIT_C, SYNC_C):
        m = WRITE_RE.search(script_of(container(spec, name) or {}))
        if not m:
            p.append(f"{name}: no 'kubectl get pods -A -o json > TMP && mv TMP FILE'")
            continue
        tmp, src, dst = m.groups()
        if src != tmp or dst != want or os.path.dirname(tmp) != os.path.dirname(dst) or tmp == dst:
            p.append(f"{name}: writes {tmp}, moves {src} to {dst}; davy reads {want}")
    return verdict(p)


@check("pods-sync refreshes every REFRESH_SECONDS (1 to 300) and ends on SIGTERM")
def c_pods_loop(w):
    c = container(pod_spec(w.daemonset()), SYNC_C) or {}
    s = script_of(c)
    env = {e.get("name"): e.get("value") for e in c.get("env") or []}
    v = str(env.get("REFRESH_SECONDS"))
    p = []
    if not (v.isdigit() and 1 <= int(v) <= 300):
        p.append(f"REFRESH_SECONDS is {v!r}")
    if "while" not in s or not re.search(r'sleep "?\$\{?REFRESH_SECONDS', s):
        p.append("no loop sleeping $REFRESH_SECONDS")
    if not re.search(r"trap .* TERM", s):
        p.append("no TERM trap: the shell as PID 1 ignores SIGTERM and the pod waits out its grace period")
    return verdict(p)


@check("pods-init and pods-sync: non-root, read-only root, no capabilities, no privilege escalation")
def c_pods_security(w):
    spec = pod_spec(w.daemonset())
    p = []
    for name in (INIT_C, SYNC_C):
        c = container(spec, name)
        if c is None:
            p.append(f"no container {name}")
            continue
        add, drop = caps(c)
        if eff(spec, c, "runAsNonRoot") is not True or eff(spec, c, "runAsUser") in (None, 0):
            p.append(f"{name}: runAsNonRoot {eff(spec, c, 'runAsNonRoot')!r}, runAsUser {eff(spec, c, 'runAsUser')!r}")
        if dig(c, "securityContext.readOnlyRootFilesystem") is not True:
            p.append(f"{name}: root file system writable")
        if dig(c, "securityContext.allowPrivilegeEscalation") is not False:
            p.append(f"{name}: allowPrivilegeEscalation is not false")
        if drop != ["ALL"] or add:
            p.append(f"{name}: capabilities add {add}, drop {drop}")
        if dig(c, "securityContext.privileged") is True:
            p.append(f"{name}: privileged")
    return verdict(p)


@check("every image names a tag (not latest)")
def c_images(w):
    p = []
    for d in w.objects():
        for c in containers(pod_spec(d)):
            img = str(c.get("image", ""))
            ref = img.split("@")[0]
            tag = ref.rsplit(":", 1)[1] if ":" in ref.rsplit("/", 1)[-1] else None
            if "@sha256:" not in img and (tag is None or tag == "latest"):
                p.append(f"{c.get('name')}: {img!r}")
    return verdict(p)


@check("the API token: no automount; only pods-init and pods-sync mount the service account's token")
def c_token(w):
    spec = pod_spec(w.daemonset())
    p = []
    if spec.get("automountServiceAccountToken") is not False:
        p.append(f"automountServiceAccountToken is {spec.get('automountServiceAccountToken')!r}")
    for c in containers(spec):
        m = mount_at(c, TOKEN_DIR)
        v = volume(spec, m.get("name")) if m else None
        has = bool(v and any("serviceAccountToken" in s for s in dig(v, "projected.sources", []) or []))
        if c.get("name") in (INIT_C, SYNC_C) and not has:
            p.append(f"{c.get('name')} has no token at {TOKEN_DIR}")
        if c.get("name") not in (INIT_C, SYNC_C) and m:
            p.append(f"{c.get('name')} mounts {TOKEN_DIR}")
    return verdict(p)


@check("RBAC: the pod's service account is bound only to a ClusterRole whose only rule is list pods")
def c_rbac(w):
    sa = pod_spec(w.daemonset()).get("serviceAccountName")
    if not w.find("ServiceAccount", sa, NAMESPACE):
        return (False, f"no ServiceAccount {sa!r} in {NAMESPACE}")
    bound = []
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        for b in w.objects(kind):
            for s in b.get("subjects") or []:
                if s.get("kind") == "ServiceAccount" and s.get("name") == sa and \
                        s.get("namespace", dig(b, "metadata.namespace")) == NAMESPACE:
                    bound.append((kind, b.get("roleRef") or {}))
    if len(bound) != 1 or bound[0][0] != "ClusterRoleBinding" or bound[0][1].get("kind") != "ClusterRole":
        return (False, f"{sa} is bound by {bound}")
    role = w.find("ClusterRole", bound[0][1].get("name"))
    rules = (role or {}).get("rules")
    want = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}]
    return (rules == want, f"ClusterRole {bound[0][1].get('name')} rules {rules}")


def redis_target(w):
    """(Service name, namespace, port) davy.yaml's redis URL names, or None
    when it is not a Service of the cluster."""
    u = urlsplit(str(w.settings.get("redis", "")))
    if u.scheme != "redis" or not u.hostname:
        return None
    parts = u.hostname.split(".")
    if len(parts) == 1:
        return parts[0], NAMESPACE, u.port or 6379
    if len(parts) == 2 or (len(parts) >= 3 and parts[2] == "svc"):
        return parts[0], parts[1], u.port or 6379
    return None


@check("the Redis Service matches davy.yaml's redis URL (name, namespace, port) and selects Redis")
def c_redis_service(w):
    tgt = redis_target(w)
    if tgt is None:
        return (None, f"redis: {w.settings.get('redis')!r} is not a Service of this cluster")
    name, ns, port = tgt
    svc = w.find("Service", name, ns)
    if not svc:
        return (False, f"no Service {name} in {ns} (davy.yaml: {w.settings.get('redis')})")
    p = []
    if dig(svc, "spec.type", "ClusterIP") != "ClusterIP":
        p.append(f"type {dig(svc, 'spec.type')}")
    sp = [x for x in dig(svc, "spec.ports", []) or [] if x.get("port") == port]
    if not sp:
        p.append(f"no port {port} on Service {name}")
    sel = dig(svc, "spec.selector", {}) or {}
    pods = [d for d in w.objects() if dig(d, "metadata.namespace") == ns and d.get("kind") in
            ("Deployment", "StatefulSet") and sel and
            sel.items() <= (dig(d, "spec.template.metadata.labels", {}) or {}).items()]
    if len(pods) != 1:
        p.append(f"selector {sel} matches {len(pods)} workloads")
    elif sp:
        tp = sp[0].get("targetPort", port)
        cs = containers(pod_spec(pods[0]), init=False)
        if not any(resolve_port(c, tp) in [x.get("containerPort") for x in c.get("ports") or []] for c in cs):
            p.append(f"targetPort {tp!r} is no container port of {dig(pods[0], 'metadata.name')}")
    return verdict(p)


@check("Redis: non-root, read-only root, no capabilities, maxmemory at most 80% of its memory limit")
def c_redis_pod(w):
    tgt = redis_target(w)
    if tgt is None:
        return (None, "davy.yaml's Redis is outside the cluster")
    d = w.find("Deployment", tgt[0], tgt[1])
    if not d:
        return (False, f"no Deployment {tgt[0]}")
    spec = pod_spec(d)
    p = []
    for c in containers(spec):
        add, drop = caps(c)
        if eff(spec, c, "runAsNonRoot") is not True or dig(c, "securityContext.readOnlyRootFilesystem") is not True \
                or drop != ["ALL"] or add or dig(c, "securityContext.allowPrivilegeEscalation") is not False:
            p.append(f"{c.get('name')}: security context {c.get('securityContext')}, pod {spec.get('securityContext')}")
        args = [str(x) for x in as_list(c.get("command")) + as_list(c.get("args"))]
        if "--maxmemory" not in args:
            p.append(f"{c.get('name')}: no --maxmemory")
            continue
        mm = redis_memory(args[args.index("--maxmemory") + 1])
        lim = quantity(dig(c, "resources.limits.memory", "0"))
        if mm > 0.8 * lim:
            p.append(f"{c.get('name')}: maxmemory {mm / 2**20:.0f} MiB, limit {lim / 2**20:.0f} MiB")
    return verdict(p)


def memory_budget(s):
    """davy's bytes for the bounds in davy.yaml (see the constants above)."""
    g = lambda k: s.get(k, DEFAULTS.get(k))  # noqa: E731
    workers = int(s.get("workers", os.cpu_count() or 1))
    ifaces = sum(AUTO_INTERFACES if i == "auto" else 1 for i in as_list(s.get("interface"))) or 1
    return (BASE_BYTES + int(g("max-flows")) * FLOW_BYTES + int(g("stratum-flows")) * STRATUM_BYTES
            + size_bytes(g("reassembly-memory")) + workers * (size_bytes(g("ring-size")) + OUTPUT_QUEUE)
            + workers * int(g("dns-cache-size")) * DNS_ENTRY + int(g("defrag-datagrams")) * DEFRAG_BYTES
            + size_bytes(g("redis-queue")) + ifaces * size_bytes(g("buffer-size")))


@check("davy's memory limit covers the bounds davy.yaml sets, and a quarter more")
def c_davy_memory(w):
    c = container(pod_spec(w.daemonset()), DAVY_C) or {}
    lim = quantity(dig(c, "resources.limits.memory", "0"))
    need = memory_budget(w.settings)
    return (lim >= HEADROOM * need,
            f"limit {lim / 2**20:.0f} MiB; davy.yaml's bounds {need / 2**20:.0f} MiB, x{HEADROOM} = "
            f"{HEADROOM * need / 2**20:.0f} MiB")


@check("davy.yaml: live capture (interface includes auto, no read), redis-queue-full drop")
def c_live(w):
    s = w.settings
    p = []
    if "auto" not in [str(x) for x in as_list(s.get("interface"))]:
        p.append(f"interface is {s.get('interface')!r}")
    if "read" in s or "r" in s:
        p.append("davy.yaml still reads a capture (read:)")
    if s.get("redis-queue-full") != "drop":
        p.append(f"redis-queue-full is {s.get('redis-queue-full')!r}: a slow Redis would stall capture")
    return verdict(p)


@check("Dockerfile: two stages, both FROM debian:bookworm-slim")
def c_docker_stages(w):
    st = dockerfile_stages(w.dockerfile)
    froms = [s[0][1].split()[0] for s in st]
    return (froms == ["debian:bookworm-slim"] * 2, f"FROM {froms}")


@check("Dockerfile build stage: the build dependencies, make all IOCS_DIR=/usr/share/davy/iocs")
def c_docker_build(w):
    st = dockerfile_stages(w.dockerfile)
    pkgs, _ = apt_installs(st[0]) if st else ([], [])
    p = [f"missing {x}" for x in BUILD_DEPS if x not in pkgs]
    runs = " ".join(r for i, r in (st[0] if st else []) if i == "RUN")
    if not re.search(r"\bmake\b[^&;]*\ball\b[^&;]*\bIOCS_DIR=" + re.escape(IOCS_DIR) + r"(\s|$)", runs):
        p.append(f"no 'make all IOCS_DIR={IOCS_DIR}'")
    return verdict(p)


@check("Dockerfile runtime stage: no -dev package, no compiler, setcap's package purged, no setuid files")
def c_docker_runtime(w):
    st = dockerfile_stages(w.dockerfile)
    if len(st) < 2:
        return (False, "no runtime stage")
    pkgs, runs = apt_installs(st[-1])
    p = [f"installs {x}" for x in pkgs if x.endswith("-dev") or x in COMPILERS or x.startswith(("gcc-", "clang-"))]
    if "libcap2-bin" in pkgs and not any(re.search(r"apt-get (purge|remove)[^&;]*libcap2-bin", r) for r in runs):
        p.append("libcap2-bin stays installed")
    # privilege escalation is allowed for davy's file capabilities: no
    # setuid/setgid file may stay
    if not any(re.search(r"find / [^&;]*-perm /6000 [^&;]*chmod a-s", r)
               for i, r in st[-1] if i == "RUN"):
        p.append("the base image's setuid/setgid bits stay")
    if not pkgs:
        p.append("installs no runtime library")
    return verdict(p)


@check("Dockerfile: every apt-get install uses --no-install-recommends; every RUN with apt-get "
       "removes /var/lib/apt/lists")
def c_docker_apt(w):
    p = []
    for n, stage in enumerate(dockerfile_stages(w.dockerfile)):
        for instr, rest in stage:
            if instr != "RUN" or "apt-get" not in rest:
                continue
            for cmd in re.split(r"&&|;", rest):
                if re.search(r"apt-get\s.*\binstall\b", cmd) and "--no-install-recommends" not in cmd:
                    p.append(f"stage {n + 1}: {cmd.strip()[:60]}...")
            if "apt-get update" in rest and "rm -rf /var/lib/apt/lists" not in rest:
                p.append(f"stage {n + 1}: a RUN leaves the apt lists")
    return verdict(p)


@check("Dockerfile runtime stage: iocs/ at davy.yaml's first iocs folder, davy at /usr/bin/davy")
def c_docker_copy(w):
    st = dockerfile_stages(w.dockerfile)
    copies = [r.split() for i, r in (st[-1] if st else []) if i == "COPY"]
    first = str(as_list(w.settings.get("iocs"))[0]) if w.settings.get("iocs") else None
    p = []
    if not any(c[-2].rstrip("/") == "iocs" and c[-1].rstrip("/") == IOCS_DIR for c in copies if len(c) >= 2):
        p.append(f"no COPY iocs/ {IOCS_DIR}/")
    if first != IOCS_DIR:
        p.append(f"davy.yaml's first iocs is {first!r}")
    if not any(c[0].startswith("--from=") and c[-1] == "/usr/bin/davy" for c in copies):
        p.append("no COPY --from=... /usr/bin/davy")
    return verdict(p)


@check("Dockerfile: USER is a non-root uid, the DaemonSet's runAsUser")
def c_docker_user(w):
    st = dockerfile_stages(w.dockerfile)
    users = [r for i, r in (st[-1] if st else []) if i == "USER"]
    u = users[-1].split(":")[0] if users else None
    spec = pod_spec(w.daemonset())
    ru = eff(spec, container(spec, DAVY_C) or {}, "runAsUser")
    ok = u is not None and u.isdigit() and int(u) != 0 and ru == int(u)
    return (ok, f"USER {users[-1] if users else None!r}, runAsUser {ru!r}")


@check("Dockerfile: ENTRYPOINT [\"/usr/bin/davy\"], CMD [\"-c\", \"/etc/davy/davy.yaml\"]")
def c_docker_entry(w):
    st = dockerfile_stages(w.dockerfile)
    ep = [exec_form(r) for i, r in (st[-1] if st else []) if i == "ENTRYPOINT"]
    cmd = [exec_form(r) for i, r in (st[-1] if st else []) if i == "CMD"]
    ok = ep[-1:] == [["/usr/bin/davy"]] and cmd[-1:] == [["-c", "/etc/davy/davy.yaml"]]
    return (ok, f"ENTRYPOINT {ep[-1:]}, CMD {cmd[-1:]}")


def run_checks(w):
    """{check name: (ok, detail)}; an exception is a failure naming it."""
    out = {}
    for name, fn in CHECKS:
        try:
            out[name] = fn(w)
        except Exception as e:  # a broken manifest may break a check's assumptions
            out[name] = (False, f"{type(e).__name__}: {e}")
    return out


# ---- the self-test: one break at a time, and the check that must catch it ----

def ds_spec(w):
    return pod_spec(w.daemonset())


def ctr(w, name):
    return container(ds_spec(w), name)


def set_settings(w, **kv):
    """Changes davy.yaml in memory, the text and the ConfigMap's copy too (so
    only the check under test sees a difference)."""
    for k, v in kv.items():
        k = k.replace("_", "-")
        if v is None:
            w.settings.pop(k, None)
        else:
            w.settings[k] = v
    cm = w.find("ConfigMap", "davy-config", NAMESPACE)
    w.davy_text = yaml.safe_dump(w.settings)
    cm["data"]["davy.yaml"] = w.davy_text


def df_sub(w, old, new, count=1):
    assert old in w.dockerfile, old
    w.dockerfile = w.dockerfile.replace(old, new, count)


def redis_args(w):
    return ctr_of(w.find("Deployment", "redis", NAMESPACE), "redis")["args"]


def ctr_of(obj, name):
    return container(pod_spec(obj), name)


MUTATIONS = [
    ("every manifest parses; each object has apiVersion, kind, metadata.name",
     "an object without a name", lambda w: w.find("Service", "redis").__setitem__("metadata", {})),
    ("every manifest parses; each object has apiVersion, kind, metadata.name",
     "a file that is not YAML", lambda w: w.errors.append("x.yaml: bad")),
    ("labels, annotations and env values are strings",
     "an unquoted annotation", lambda w: w.daemonset()["spec"]["template"]["metadata"]["annotations"]
     .__setitem__("prometheus.io/scrape", True)),
    ("labels, annotations and env values are strings",
     "a number as an env value", lambda w: ctr(w, SYNC_C)["env"][0].__setitem__("value", 30)),
    (f"Namespace {NAMESPACE} exists and holds every namespaced object",
     "the Service in default", lambda w: w.find("Service", "redis")["metadata"].__setitem__("namespace", "default")),
    ("the namespace's Pod Security level admits hostNetwork and NET_RAW/NET_ADMIN (privileged)",
     "enforce: baseline", lambda w: w.find("Namespace", NAMESPACE)["metadata"]["labels"]
     .__setitem__("pod-security.kubernetes.io/enforce", "baseline")),
    ("kubectl apply -f deploy/kubernetes/ creates the namespace before what is in it",
     "the namespace file last", lambda w: w.files.append(w.files.pop(0))),
    ("one DaemonSet, updateStrategy RollingUpdate",
     "OnDelete", lambda w: w.daemonset()["spec"].__setitem__("updateStrategy", {"type": "OnDelete"})),
    ("the DaemonSet uses the host network: hostNetwork true",
     "hostNetwork false", lambda w: ds_spec(w).__setitem__("hostNetwork", False)),
    ("dnsPolicy ClusterFirstWithHostNet (cluster names from the host network)",
     "dnsPolicy ClusterFirst", lambda w: ds_spec(w).__setitem__("dnsPolicy", "ClusterFirst")),
    ("every container (init too) has cpu and memory requests and limits, requests <= limits",
     "no memory limit on pods-init", lambda w: ctr(w, INIT_C)["resources"]["limits"].pop("memory")),
    ("every container (init too) has cpu and memory requests and limits, requests <= limits",
     "Redis requests more cpu than its limit", lambda w: ctr_of(w.find("Deployment", "redis"), "redis")
     ["resources"]["requests"].__setitem__("cpu", "2")),
    ("tolerations: every node, the control plane explicitly",
     "only the control-plane toleration", lambda w: ds_spec(w).__setitem__(
         "tolerations", [t for t in ds_spec(w)["tolerations"] if t.get("key")])),
    ("tolerations: every node, the control plane explicitly",
     "no explicit control-plane toleration", lambda w: ds_spec(w).__setitem__(
         "tolerations", [t for t in ds_spec(w)["tolerations"] if not t.get("key")])),
    ("davy gets NODE_NAME from the downward API (fieldRef spec.nodeName)",
     "NODE_NAME from metadata.name", lambda w: [e for e in ctr(w, DAVY_C)["env"] if e["name"] == "NODE_NAME"][0]
     ["valueFrom"]["fieldRef"].__setitem__("fieldPath", "metadata.name")),
    ("davy's args are -c /etc/davy/davy.yaml, the image's CMD, inside the ConfigMap's mount",
     "-c /etc/davy.yaml", lambda w: ctr(w, DAVY_C).__setitem__("args", ["-c", "/etc/davy.yaml"])),
    ("davy's args are -c /etc/davy/davy.yaml, the image's CMD, inside the ConfigMap's mount",
     "the image's CMD elsewhere", lambda w: df_sub(w, 'CMD ["-c", "/etc/davy/davy.yaml"]',
                                                   'CMD ["-c", "/etc/davy.yaml"]')),
    ("the ConfigMap's davy.yaml is deploy/davy.yaml, byte for byte",
     "one more newline in the ConfigMap", lambda w: w.find("ConfigMap", "davy-config")["data"]
     .__setitem__("davy.yaml", w.davy_text + "\n")),
    ("the ConfigMap's davy.yaml is deploy/davy.yaml, byte for byte",
     "workers changed in deploy/davy.yaml only", lambda w: setattr(
         w, "davy_text", w.davy_text.replace("workers: 2", "workers: 3"))),
    ("every /etc/davy file davy.yaml names is in the ConfigMap volume",
     "site-c2.txt not projected", lambda w: volume(ds_spec(w), "config")["configMap"].__setitem__(
         "items", [i for i in volume(ds_spec(w), "config")["configMap"]["items"] if i["key"] == "davy.yaml"])),
    ("davy: runAsNonRoot, non-root user, read-only root, drop ALL, add exactly NET_RAW and "
     "NET_ADMIN, allowPrivilegeEscalation true",
     "SYS_ADMIN added", lambda w: ctr(w, DAVY_C)["securityContext"]["capabilities"]["add"].append("SYS_ADMIN")),
    ("davy: runAsNonRoot, non-root user, read-only root, drop ALL, add exactly NET_RAW and "
     "NET_ADMIN, allowPrivilegeEscalation true",
     "allowPrivilegeEscalation false", lambda w: ctr(w, DAVY_C)["securityContext"]
     .__setitem__("allowPrivilegeEscalation", False)),
    ("davy: runAsNonRoot, non-root user, read-only root, drop ALL, add exactly NET_RAW and "
     "NET_ADMIN, allowPrivilegeEscalation true",
     "runAsUser 0", lambda w: ctr(w, DAVY_C)["securityContext"].__setitem__("runAsUser", 0)),
    ("davy: runAsNonRoot, non-root user, read-only root, drop ALL, add exactly NET_RAW and "
     "NET_ADMIN, allowPrivilegeEscalation true",
     "a writable root", lambda w: ctr(w, DAVY_C)["securityContext"].__setitem__("readOnlyRootFilesystem", False)),
    ("the capabilities added are exactly the binary's file capabilities (setcap in the image)",
     "setcap gives NET_RAW only", lambda w: df_sub(w, "setcap cap_net_raw,cap_net_admin+ep",
                                                   "setcap cap_net_raw+ep")),
    ("davy declares its metrics port (davy.yaml's `metrics:`) as a containerPort",
     "containerPort 9478", lambda w: ctr(w, DAVY_C)["ports"][0].__setitem__("containerPort", 9478)),
    ("`metrics:` is ADDR:PORT and reachable from the kubelet (not loopback)",
     "metrics on 127.0.0.1", lambda w: set_settings(w, metrics="127.0.0.1:9477")),
    ("`metrics:` is ADDR:PORT and reachable from the kubelet (not loopback)",
     "metrics without a port", lambda w: set_settings(w, metrics="0.0.0.0")),
    ("liveness and readiness probes GET /healthz on the metrics port",
     "readiness on 8080", lambda w: ctr(w, DAVY_C)["readinessProbe"]["httpGet"].__setitem__("port", 8080)),
    ("liveness and readiness probes GET /healthz on the metrics port",
     "liveness on /health", lambda w: ctr(w, DAVY_C)["livenessProbe"]["httpGet"].__setitem__("path", "/health")),
    ("liveness and readiness probes GET /healthz on the metrics port",
     "davy.yaml's metrics port moves", lambda w: set_settings(w, metrics="0.0.0.0:9478")),
    ("Prometheus annotations: scrape \"true\", port = the metrics port, path /metrics",
     "scrape port 9100", lambda w: w.daemonset()["spec"]["template"]["metadata"]["annotations"]
     .__setitem__("prometheus.io/port", "9100")),
    ("terminationGracePeriodSeconds is longer than davy's shutdown-timeout",
     "grace 5 s", lambda w: ds_spec(w).__setitem__("terminationGracePeriodSeconds", 5)),
    ("terminationGracePeriodSeconds is longer than davy's shutdown-timeout",
     "shutdown-timeout 60", lambda w: set_settings(w, shutdown_timeout=60)),
    ("davy.yaml's pods: folder is one emptyDir, davy mounts it read-only, pods-* read-write",
     "pods-sync mounts /run/pods", lambda w: mount_at(ctr(w, SYNC_C), "/run/davy").__setitem__(
         "mountPath", "/run/pods")),
    ("davy.yaml's pods: folder is one emptyDir, davy mounts it read-only, pods-* read-write",
     "pods: outside the shared folder", lambda w: set_settings(w, pods="/var/run/pods.json")),
    ("pods-init and pods-sync write davy.yaml's pods: file by kubectl get pods -A -o json, "
     "then an atomic mv",
     "davy reads another file", lambda w: set_settings(w, pods="/run/davy/pod-list.json")),
    ("pods-init and pods-sync write davy.yaml's pods: file by kubectl get pods -A -o json, "
     "then an atomic mv",
     "pods-sync writes in place", lambda w: ctr(w, SYNC_C).__setitem__("args", [ctr(w, SYNC_C)["args"][0].replace(
         "> /run/davy/pods.json.tmp && mv /run/davy/pods.json.tmp /run/davy/pods.json",
         "> /run/davy/pods.json && mv /run/davy/pods.json /run/davy/pods.json")])),
    ("pods-sync refreshes every REFRESH_SECONDS (1 to 300) and ends on SIGTERM",
     "REFRESH_SECONDS 0", lambda w: [e for e in ctr(w, SYNC_C)["env"] if e["name"] == "REFRESH_SECONDS"][0]
     .__setitem__("value", "0")),
    ("pods-sync refreshes every REFRESH_SECONDS (1 to 300) and ends on SIGTERM",
     "no trap", lambda w: ctr(w, SYNC_C).__setitem__(
         "args", [re.sub(r"trap [^\n]*\n", "", ctr(w, SYNC_C)["args"][0])])),
    ("pods-init and pods-sync: non-root, read-only root, no capabilities, no privilege escalation",
     "pods-sync with NET_RAW", lambda w: ctr(w, SYNC_C)["securityContext"]["capabilities"]
     .__setitem__("add", ["NET_RAW"])),
    ("pods-init and pods-sync: non-root, read-only root, no capabilities, no privilege escalation",
     "pods-init may escalate", lambda w: ctr(w, INIT_C)["securityContext"].pop("allowPrivilegeEscalation")),
    ("every image names a tag (not latest)",
     "alpine/kubectl:latest", lambda w: ctr(w, SYNC_C).__setitem__("image", "alpine/kubectl:latest")),
    ("every image names a tag (not latest)",
     "an image without a tag", lambda w: ctr(w, DAVY_C).__setitem__("image", "registry:5000/davy")),
    ("the API token: no automount; only pods-init and pods-sync mount the service account's token",
     "automount on", lambda w: ds_spec(w).__setitem__("automountServiceAccountToken", True)),
    ("the API token: no automount; only pods-init and pods-sync mount the service account's token",
     "davy mounts the token", lambda w: ctr(w, DAVY_C)["volumeMounts"].append(
         {"name": "kube-api-access", "mountPath": TOKEN_DIR, "readOnly": True})),
    ("RBAC: the pod's service account is bound only to a ClusterRole whose only rule is list pods",
     "get added", lambda w: w.find("ClusterRole", "davy-pods-list")["rules"][0]["verbs"].append("get")),
    ("RBAC: the pod's service account is bound only to a ClusterRole whose only rule is list pods",
     "a second rule", lambda w: w.find("ClusterRole", "davy-pods-list")["rules"].append(
         {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]})),
    ("RBAC: the pod's service account is bound only to a ClusterRole whose only rule is list pods",
     "a RoleBinding too", lambda w: w.files[-1][1].append(
         {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
          "metadata": {"name": "x", "namespace": NAMESPACE},
          "roleRef": {"kind": "ClusterRole", "name": "admin"},
          "subjects": [{"kind": "ServiceAccount", "name": "davy-pods"}]})),
    ("RBAC: the pod's service account is bound only to a ClusterRole whose only rule is list pods",
     "the binding names another namespace", lambda w: w.find("ClusterRoleBinding", "davy-pods-list")
     ["subjects"][0].__setitem__("namespace", "default")),
    ("the Redis Service matches davy.yaml's redis URL (name, namespace, port) and selects Redis",
     "Service redis-master", lambda w: w.find("Service", "redis")["metadata"].__setitem__("name", "redis-master")),
    ("the Redis Service matches davy.yaml's redis URL (name, namespace, port) and selects Redis",
     "URL port 6380", lambda w: set_settings(w, redis="redis://redis.davy-system.svc:6380/0")),
    ("the Redis Service matches davy.yaml's redis URL (name, namespace, port) and selects Redis",
     "a selector that matches no pod", lambda w: w.find("Service", "redis")["spec"]["selector"]
     .__setitem__("app.kubernetes.io/name", "valkey")),
    ("the Redis Service matches davy.yaml's redis URL (name, namespace, port) and selects Redis",
     "targetPort no container has", lambda w: w.find("Service", "redis")["spec"]["ports"][0]
     .__setitem__("targetPort", 6380)),
    ("Redis: non-root, read-only root, no capabilities, maxmemory at most 80% of its memory limit",
     "maxmemory 2gb", lambda w: redis_args(w).__setitem__(redis_args(w).index("--maxmemory") + 1, "2gb")),
    ("Redis: non-root, read-only root, no capabilities, maxmemory at most 80% of its memory limit",
     "Redis as root", lambda w: pod_spec(w.find("Deployment", "redis"))["securityContext"]
     .__setitem__("runAsNonRoot", False)),
    ("davy's memory limit covers the bounds davy.yaml sets, and a quarter more",
     "a million flows", lambda w: set_settings(w, max_flows=1000000)),
    ("davy's memory limit covers the bounds davy.yaml sets, and a quarter more",
     "a 512Mi limit", lambda w: ctr(w, DAVY_C)["resources"]["limits"].__setitem__("memory", "512Mi")),
    ("davy.yaml: live capture (interface includes auto, no read), redis-queue-full drop",
     "read: -", lambda w: set_settings(w, read="-")),
    ("davy.yaml: live capture (interface includes auto, no read), redis-queue-full drop",
     "redis-queue-full wait", lambda w: set_settings(w, redis_queue_full="wait")),
    ("Dockerfile: two stages, both FROM debian:bookworm-slim",
     "runtime on ubuntu", lambda w: setattr(w, "dockerfile", re.sub(
         r"(?m)^FROM debian:bookworm-slim$", "FROM ubuntu:24.04", w.dockerfile))),
    ("Dockerfile build stage: the build dependencies, make all IOCS_DIR=/usr/share/davy/iocs",
     "no libndpi-dev", lambda w: df_sub(w, " libndpi-dev", "")),
    ("Dockerfile build stage: the build dependencies, make all IOCS_DIR=/usr/share/davy/iocs",
     "another IOCS_DIR", lambda w: df_sub(w, "IOCS_DIR=/usr/share/davy/iocs", "IOCS_DIR=/opt/iocs")),
    ("Dockerfile runtime stage: no -dev package, no compiler, setcap's package purged, no setuid files",
     "gcc in the runtime", lambda w: df_sub(w, "libpcap0.8 libndpi4.2", "libpcap0.8 gcc libndpi4.2")),
    ("Dockerfile runtime stage: no -dev package, no compiler, setcap's package purged, no setuid files",
     "libpcap-dev in the runtime", lambda w: df_sub(w, "libpcap0.8 libndpi4.2", "libpcap-dev libndpi4.2")),
    ("Dockerfile runtime stage: no -dev package, no compiler, setcap's package purged, no setuid files",
     "libcap2-bin kept", lambda w: df_sub(w, "apt-get purge -y --auto-remove libcap2-bin", "true")),
    ("Dockerfile runtime stage: no -dev package, no compiler, setcap's package purged, no setuid files",
     "setuid bits kept", lambda w: df_sub(w, "-exec chmod a-s {} +", "-print")),
    ("Dockerfile: every apt-get install uses --no-install-recommends; every RUN with apt-get "
     "removes /var/lib/apt/lists",
     "recommends installed", lambda w: df_sub(w, "--no-install-recommends libcap2-bin", "libcap2-bin")),
    ("Dockerfile: every apt-get install uses --no-install-recommends; every RUN with apt-get "
     "removes /var/lib/apt/lists",
     "lists kept", lambda w: df_sub(w, "rm -rf /var/lib/apt/lists/*", "true")),
    ("Dockerfile runtime stage: iocs/ at davy.yaml's first iocs folder, davy at /usr/bin/davy",
     "iocs in /opt", lambda w: df_sub(w, "COPY iocs/ /usr/share/davy/iocs/", "COPY iocs/ /opt/iocs/")),
    ("Dockerfile runtime stage: iocs/ at davy.yaml's first iocs folder, davy at /usr/bin/davy",
     "davy.yaml without the image's feeds", lambda w: set_settings(w, iocs=["/etc/davy/iocs/site-c2.txt"])),
    ("Dockerfile: USER is a non-root uid, the DaemonSet's runAsUser",
     "USER root", lambda w: df_sub(w, "USER 65534:65534", "USER root")),
    ("Dockerfile: USER is a non-root uid, the DaemonSet's runAsUser",
     "runAsUser 1000", lambda w: ctr(w, DAVY_C)["securityContext"].__setitem__("runAsUser", 1000)),
    ("Dockerfile: ENTRYPOINT [\"/usr/bin/davy\"], CMD [\"-c\", \"/etc/davy/davy.yaml\"]",
     "a shell-form entrypoint", lambda w: df_sub(w, 'ENTRYPOINT ["/usr/bin/davy"]', "ENTRYPOINT /usr/bin/davy")),
]


# ---- davy itself ------------------------------------------------------------------

def printed_keys(text):
    return {ln.split(":", 1)[0] for ln in text.splitlines()
            if ln and not ln.startswith(("#", " ")) and ":" in ln}


def binary_checks(t, davy, settings):
    what = "davy -c deploy/davy.yaml --print-config exits 0, silent"
    if not davy or not os.path.isfile(davy):
        t.skip(what, f"no davy binary at {davy!r} (build it: make all)")
        return
    env = dict(os.environ, NODE_NAME="deploy-test-node")
    env.pop("DAVY_REDIS_URL", None)
    p = subprocess.run([davy, "-c", os.path.join(DEPLOY, "davy.yaml"), "--print-config"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60, env=env)
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    ok = t.check(p.returncode == 0 and err == "", what,
                 f"rc={p.returncode}: {err.strip()}\n     (deploy/davy.yaml uses the live-capture options "
                 "interface, buffer-size, metrics, stats-interval, shutdown-timeout: a davy without them "
                 "refuses the file)")
    if ok and settings is not None:
        missing = sorted(set(settings) - printed_keys(out))
        t.check(not missing, "--print-config shows every setting deploy/davy.yaml makes", f"not shown: {missing}")


def needed_packages(davy):
    """The Debian package that owns each library davy itself links
    (readelf -d NEEDED, resolved by ldd, owner by dpkg -S), or a reason
    why it cannot be told."""
    for tool in ("readelf", "ldd", "dpkg"):
        if not shutil.which(tool):
            return None, f"no {tool} on this machine"
    rd = subprocess.run(["readelf", "-d", davy], stdout=subprocess.PIPE, text=True, timeout=60)
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", rd.stdout)
    ld = subprocess.run(["ldd", davy], stdout=subprocess.PIPE, text=True, timeout=60)
    where = {m.group(1): m.group(2) for m in re.finditer(r"^\s*(\S+) => (/\S+)", ld.stdout, re.M)}
    owners = {}
    for lib in needed:
        path = where.get(lib)
        if not path:
            return None, f"ldd does not resolve {lib}"
        for cand in (path, os.path.realpath(path)):
            q = subprocess.run(["dpkg", "-S", cand], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, timeout=60)
            if q.returncode == 0:
                owners[lib] = q.stdout.split(":", 1)[0]
                break
        else:
            return None, f"no Debian package owns {path} (a library built by hand?)"
    return owners, ""


def runtime_package_checks(t, davy, dockerfile):
    what = ("Dockerfile runtime stage installs exactly the packages of the libraries davy links "
            "(readelf NEEDED -> dpkg -S), libc6 from the base image")
    if not davy or not os.path.isfile(davy):
        t.skip(what, f"no davy binary at {davy!r} (build it: make all)")
        return
    owners, why = needed_packages(davy)
    if owners is None:
        t.skip(what, why)
        return
    if any(re.match(r"lib(asan|ubsan|tsan)\.", lib) for lib in owners):
        # -fsanitize links without --as-needed: every -l stays NEEDED
        t.skip(what, f"{davy} is a sanitizer build, which links differently from the image's plain `make all`")
        return
    st = dockerfile_stages(dockerfile)
    pkgs = set(apt_installs(st[-1])[0]) if len(st) >= 2 else set()
    want = set(owners.values()) - {"libc6"}
    missing = sorted(f"{p} (for {', '.join(l for l, o in owners.items() if o == p)})" for p in want - pkgs)
    extra = sorted(pkgs - want - {"libcap2-bin"})
    t.check(not missing and not extra, what, f"missing {missing}; not linked {extra}")


def main():
    davy = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
    t = Tally("deploy")
    if yaml is None:
        t.skip("the manifests", "python3-yaml is missing (.ci/deps.sh installs it)")
        binary_checks(t, davy, None)
        return t.finish()
    w = World()

    def manifests():
        for name, (ok, detail) in run_checks(w).items():
            if ok is None:
                t.skip(name, detail)
            else:
                t.check(ok, name, detail)

    def self_test():
        names = {n for n, _ in CHECKS}
        covered = {n for n, _, _ in MUTATIONS}
        t.check(covered == names, "self-test: every check has a break that it must catch",
                f"no break for {sorted(names - covered)}; unknown {sorted(covered - names)}")
        for name, what, mutate in MUTATIONS:
            m = copy.deepcopy(w)
            try:
                mutate(m)
            except Exception as e:
                t.check(False, f"self-test: break {what!r} could not be made", f"{type(e).__name__}: {e}")
                continue
            ok, detail = run_checks(m).get(name, (True, "no such check"))
            t.check(ok is False, f"self-test: {what!r} is caught by '{name}'", f"the check said {ok}: {detail}")

    t.run_parts([("manifests", manifests), ("self-test", self_test),
                 ("davy", lambda: binary_checks(t, davy, w.settings)),
                 ("image", lambda: runtime_package_checks(t, davy, w.dockerfile))])
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
