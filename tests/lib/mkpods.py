#!/usr/bin/python3
"""mkpods.py - a realistic `kubectl get pods -A -o json` output, for the pod
map's tests and benchmark (include/pods.h, sensor/pods.c).

    mkpods.py --pods N [--seed S] [--out FILE]

writes a `List` of N pods: workloads (Deployments through ReplicaSets,
DaemonSets, StatefulSets, Jobs, static pods owned by their Node) in a few
namespaces, spread over nodes, with the fields kubectl writes (labels,
annotations, owner references, containers with resources, probes, env and
volume mounts, volumes, tolerations, conditions, container statuses) and
about 3-5 KB of JSON a pod, indented by 4 like kubectl. Pod IPs come from
each node's pod CIDR in 10.64.0.0/10 (IPv6: fd00:10:244::/48), every one
distinct; about 20% of the pods are dual-stack, 2% host-network (their
address is their node's, 10.0.0.0/16, shared), 2% Succeeded or Failed and 1%
Pending without an address. The same seed gives the same bytes.

Importable, to build exact lists:

    pod(ns, name, ips, images, node=..., app=..., host_network=False,
        phase='Running', owner=('ReplicaSet', 'x-abc'), service_account='default')
    pod_list(pods, kind='List')

return the dicts (json.dumps them); ips[0] is podIP, all of them podIPs;
app=None leaves out the label, owner=None the owner references.
"""

import argparse
import hashlib
import json
import random
import sys

ALNUM = "bcdfghjklmnpqrstvwxz2456789"  # what Kubernetes uses for name suffixes
T0 = "2024-05-14T09:12:33Z"


def _uid(*parts):
    h = hashlib.sha1("/".join(str(p) for p in parts).encode()).hexdigest()
    return "%s-%s-%s-%s-%s" % (h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])


def _container(image, name, idx=0, port=None):
    c = {
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "resources": {
            "limits": {"cpu": "500m", "memory": "512Mi"},
            "requests": {"cpu": "100m", "memory": "128Mi"},
        },
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": [
            {
                "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                "name": "kube-api-access-%05d" % idx,
                "readOnly": True,
            }
        ],
    }
    if port:
        c["ports"] = [{"containerPort": port, "name": "http", "protocol": "TCP"}]
        c["livenessProbe"] = {
            "failureThreshold": 3,
            "httpGet": {"path": "/healthz", "port": port, "scheme": "HTTP"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        }
        c["env"] = [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
        ]
    return c


def _status_of(image, name, phase, ready, restarts=0):
    if phase == "Pending":
        state = {"waiting": {"reason": "ContainerCreating"}}
    elif phase in ("Succeeded", "Failed"):
        state = {"terminated": {"containerID": "containerd://" + hashlib.sha256(name.encode()).hexdigest(),
                                "exitCode": 0 if phase == "Succeeded" else 1,
                                "finishedAt": T0, "reason": "Completed" if phase == "Succeeded" else "Error",
                                "startedAt": T0}}
    else:
        state = {"running": {"startedAt": T0}}
    digest = hashlib.sha256(image.encode()).hexdigest()
    return {
        "containerID": "containerd://" + hashlib.sha256((name + image).encode()).hexdigest(),
        "image": image,
        "imageID": image.split(":")[0] + "@sha256:" + digest,
        "lastState": {},
        "name": name,
        "ready": ready,
        "restartCount": restarts,
        "started": ready,
        "state": state,
    }


def pod(ns, name, ips, images, node="node-1", app="app", host_network=False, phase="Running",
        owner=("ReplicaSet", "x-abc"), service_account="default", host_ip="10.0.0.1"):
    """One pod as kubectl writes it (a dict)."""
    labels = {}
    if app is not None:
        labels["app"] = app
        labels["app.kubernetes.io/name"] = app
    labels["pod-template-hash"] = _uid(ns, name)[:8] + _uid(ns, name)[9:11]
    meta = {
        "annotations": {
            "kubectl.kubernetes.io/restartedAt": T0,
            "prometheus.io/port": "9090",
            "prometheus.io/scrape": "true",
        },
        "creationTimestamp": T0,
        "labels": labels,
        "name": name,
        "namespace": ns,
        "resourceVersion": str(int(_uid(ns, name, "rv")[:7], 16)),
        "uid": _uid(ns, name),
    }
    if owner is not None:
        kind, oname = owner
        meta["generateName"] = oname + "-"
        meta["ownerReferences"] = [{
            "apiVersion": "v1" if kind == "Node" else ("batch/v1" if kind == "Job" else "apps/v1"),
            "blockOwnerDeletion": True,
            "controller": True,
            "kind": kind,
            "name": oname,
            "uid": _uid(ns, kind, oname),
        }]
    idx = int(_uid(ns, name)[:4], 16)
    containers = [_container(img, (app or "main") if i == 0 else "sidecar-%d" % i, idx, 8080 if i == 0 else None)
                  for i, img in enumerate(images)]
    spec = {
        "containers": containers,
        "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": node,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Never" if owner and owner[0] == "Job" else "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "serviceAccount": service_account,
        "serviceAccountName": service_account,
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
             "tolerationSeconds": 300},
            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
             "tolerationSeconds": 300},
        ],
        "volumes": [{
            "name": "kube-api-access-%05d" % idx,
            "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
            ]},
        }],
    }
    if host_network:
        spec["hostNetwork"] = True
    ready = phase == "Running"
    cond = "True" if ready else "False"
    status = {
        "conditions": [
            {"lastProbeTime": None, "lastTransitionTime": T0, "status": "True", "type": "Initialized"},
            {"lastProbeTime": None, "lastTransitionTime": T0, "status": cond, "type": "Ready"},
            {"lastProbeTime": None, "lastTransitionTime": T0, "status": cond, "type": "ContainersReady"},
            {"lastProbeTime": None, "lastTransitionTime": T0, "status": "True", "type": "PodScheduled"},
        ],
        "containerStatuses": [_status_of(img, c["name"], phase, ready) for img, c in zip(images, containers)],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "phase": phase,
        "qosClass": "Burstable",
        "startTime": T0,
    }
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": ip} for ip in ips]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def pod_list(pods, kind="List"):
    """The list kubectl writes around the pods (a dict)."""
    return {"apiVersion": "v1", "items": list(pods), "kind": kind, "metadata": {"resourceVersion": ""}}


WORDS = ("api", "auth", "billing", "cart", "catalog", "checkout", "search", "orders", "payments",
         "users", "gateway", "notify", "inventory", "reports", "media", "ledger", "quotes", "shipping",
         "profile", "session", "ranker", "feeds", "mailer", "pricing", "metrics", "audit")
NAMESPACES = ("default", "shop", "payments", "platform", "data", "ml", "monitoring", "logging",
              "ingress-nginx", "cert-manager", "team-a", "team-b", "team-c", "staging", "batch")
REGISTRIES = ("registry.example.com/shop", "ghcr.io/acme", "docker.io/library", "quay.io/acme",
              "123456789012.dkr.ecr.eu-west-1.amazonaws.com")
SIDECARS = ("docker.io/istio/proxyv2:1.21.2", "fluent/fluent-bit:3.0.4", "envoyproxy/envoy:v1.29.4",
            "ghcr.io/acme/otel-agent:0.98.0")


def _suffix(rnd, n):
    return "".join(rnd.choice(ALNUM) for _ in range(n))


def generate(n, seed=1):
    """n pods of a made-up cluster (a list of dicts)."""
    rnd = random.Random(seed)
    nnodes = max(3, n // 60)
    nodes = ["ip-10-0-%d-%d.eu-west-1.compute.internal" % (k // 250, k % 250 + 1) for k in range(nnodes)]
    node_ip = ["10.0.%d.%d" % (k // 250, k % 250 + 1) for k in range(nnodes)]
    used = [0] * nnodes  # hosts taken in each node's /24
    pods = []

    spill = [0]  # addresses given outside the nodes' /24s

    def address(k):
        # node k's pod CIDR: a /24 of 10.64.0.0/10, hosts 2..254; when it is
        # full (rare: about 60 pods a node), 10.120.0.0/13
        if used[k] < 253:
            used[k] += 1
            host = used[k] + 1
            return "10.%d.%d.%d" % (64 + k // 256, k % 256, host), "fd00:10:244:%x::%x" % (k, host)
        s = spill[0]
        spill[0] += 1
        return ("10.%d.%d.%d" % (120 + (s >> 16), (s >> 8) & 255, s & 255),
                "fd00:10:245::%x" % s)

    while len(pods) < n:
        ns = rnd.choice(NAMESPACES)
        app = rnd.choice(WORDS) + ("-" + rnd.choice(WORDS) if rnd.random() < 0.5 else "")
        kind = rnd.choices(("Deployment", "DaemonSet", "StatefulSet", "Job", "Node"), (80, 6, 8, 5, 1))[0]
        image = "%s/%s:%d.%d.%d" % (rnd.choice(REGISTRIES), app, rnd.randint(0, 3), rnd.randint(0, 30),
                                    rnd.randint(0, 9))
        images = [image] + rnd.sample(SIDECARS, rnd.choice((0, 0, 0, 1, 1, 2)))
        sa = app if rnd.random() < 0.6 else "default"
        if kind == "Deployment":
            rs = "%s-%s" % (app, "".join(rnd.choice("0123456789abcdef") for _ in range(rnd.choice((9, 10)))))
            replicas = rnd.choice((1, 2, 2, 3, 3, 5, 8, 12))
            members = [("%s-%s" % (rs, _suffix(rnd, 5)), ("ReplicaSet", rs), None) for _ in range(replicas)]
        elif kind == "DaemonSet":
            members = [("%s-%s" % (app, _suffix(rnd, 5)), ("DaemonSet", app), k) for k in range(min(nnodes, 10))]
        elif kind == "StatefulSet":
            members = [("%s-%d" % (app, i), ("StatefulSet", app), None) for i in range(rnd.choice((1, 3, 3, 5)))]
        elif kind == "Job":
            job = "%s-%d" % (app, rnd.randint(28000000, 28999999))
            members = [("%s-%s" % (job, _suffix(rnd, 5)), ("Job", job), None)]
        else:  # a static pod, mirrored by the kubelet
            k = rnd.randrange(nnodes)
            members = [("%s-%s" % (app, nodes[k]), ("Node", nodes[k]), k)]
            ns = "kube-system"
        for name, owner, k in members:
            if len(pods) >= n:
                break
            if k is None:
                k = rnd.randrange(nnodes)
            r = rnd.random()
            host_network = kind == "Node" or r < 0.02
            phase = "Running"
            if not host_network and r < 0.04:
                phase = rnd.choice(("Succeeded", "Failed"))
            elif not host_network and r < 0.05:
                phase = "Pending"
            if host_network:
                ips = [node_ip[k]]
            elif phase == "Pending":
                ips = []
            else:
                v4, v6 = address(k)
                ips = [v4, v6] if rnd.random() < 0.2 else [v4]
            pods.append(pod(ns, name, ips, images, node=nodes[k], app=app, host_network=host_network,
                            phase=phase, owner=owner, service_account=sa, host_ip=node_ip[k]))
    return pods


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pods", type=int, required=True, help="how many pods")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", help="file to write (default: standard output)")
    a = ap.parse_args()
    text = json.dumps(pod_list(generate(a.pods, a.seed)), indent=4) + "\n"
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
