"""Deterministic builders for Kubernetes objects as a v1.32 API server returns them,
and a YAML/JSON emitter that prints them like `kubectl get -o yaml|json`.

stdlib only. Everything (uids, hashes, IPs, container ids) is derived from names with
sha256 so the output is byte-for-byte reproducible.

Object shapes are modelled on the real recordings in
/work/shared/apiserver-recordings/kubectl-get-ns-deploy-rs-pods-mwc-iop-A.yaml
(server defaults, status layout, ownerReferences) -- see testdata/README.md.
"""
import copy
import datetime as _dt
import hashlib
import json
import re
import unicodedata

SAFE = "bcdfghjklmnpqrstvwxz2456789"  # k8s.io/apimachinery/pkg/util/rand.SafeEncodeString alphabet


def h(*parts):
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).digest()


def uid(*parts):
    b = bytearray(h("uid", *parts)[:16])
    b[6] = (b[6] & 0x0F) | 0x40  # version 4, like the API server
    b[8] = (b[8] & 0x3F) | 0x80
    x = b.hex()
    return f"{x[0:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:32]}"


def safe(n, *parts):
    d = h("safe", *parts)
    return "".join(SAFE[d[i] % len(SAFE)] for i in range(n))


def hexid(*parts):
    return h("hex", *parts).hex()


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(base, minutes=0, seconds=0):
    return base + _dt.timedelta(minutes=minutes, seconds=seconds)


# ---------------------------------------------------------------- YAML emitter
# sigs.k8s.io/yaml (go-yaml v2) prints map keys in go-yaml's keyList order.
def _key_lt(a, b):
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        ai = i
        while ai < len(ar) and ar[ai].isdigit():
            an = an * 10 + int(ar[ai]); ai += 1
        bi = i
        while bi < len(br) and br[bi].isdigit():
            bn = bn * 10 + int(br[bi]); bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _sorted_keys(d):
    import functools
    return sorted(d.keys(), key=functools.cmp_to_key(lambda a, b: -1 if _key_lt(a, b) else (1 if _key_lt(b, a) else 0)))


_AMBIG = re.compile(r"""^(?:
    ~|null|Null|NULL|
    y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|
    [-+]?[0-9]+|[-+]?0b[01_]+|[-+]?0x[0-9a-fA-F_]+|[-+]?0o?[0-7_]+|
    [-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)|
    [-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|
    \d{4}-\d\d?-\d\d?(?:(?:[Tt]|[ \t]+)\d\d?:\d\d:\d\d(?:\.\d*)?(?:[ \t]*(?:Z|[-+]\d\d?(?::\d\d)?))?)?
)$""", re.X)


def _is_float_like(s):
    # go-yaml resolves e.g. "1.5" or "1e3" as float but "1.8.1" stays a string
    try:
        float(s.replace("_", ""))
        return bool(re.match(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$", s))
    except ValueError:
        return False


def _scalar(s):
    if s == "":
        return '""'
    if _AMBIG.match(s) and (not re.match(r"^[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*$", s) or _is_float_like(s)):
        return json.dumps(s)
    if re.match(r"^[-+]?[0-9][0-9_]*$", s) or _is_float_like(s):
        return json.dumps(s)
    if "\n" in s:
        return None  # block scalar
    special_start = s[0] in "-?:,[]{}#&*!|>'\"%@`" or s[0] == " "
    if s[0] in "-?:" and len(s) > 1 and s[1] != " ":
        special_start = False if s[0] != "-" else (s[1] == " ")
    if special_start or s[-1] == " " or ": " in s or " #" in s or s.endswith(":") or "\t" in s:
        return "'" + s.replace("'", "''") + "'"
    return s


BEST_WIDTH = 80


def _fold_plain(s, column, indent):
    """go-yaml v2 write_plain: a space becomes a line break when the column is past 80."""
    lines, cur, col = [], "", column
    for i, ch in enumerate(s):
        if ch == " ":
            prev_space = i > 0 and s[i - 1] == " "
            nxt_space = i + 1 < len(s) and s[i + 1] == " "
            if not prev_space and col > BEST_WIDTH and not nxt_space:
                lines.append(cur)
                cur, col = " " * indent, indent
                continue
        cur += ch
        col += 1
    lines.append(cur)
    return lines


def _emit(v, indent, out, in_list=False):
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        first = True
        for k in _sorted_keys(v):
            val = v[k]
            prefix = "" if (first and in_list) else pad
            first = False
            ks = _scalar(k)
            if isinstance(val, dict) and val:
                out.append(f"{prefix}{ks}:")
                _emit(val, indent + 2, out)
            elif isinstance(val, list) and val:
                out.append(f"{prefix}{ks}:")
                _emit(val, indent, out)
            else:
                line = _inline(val, indent)
                if isinstance(line, list):  # block scalar
                    out.append(f"{prefix}{ks}: {line[0]}")
                    out.extend(line[1:])
                else:
                    head = f"{prefix}{ks}: "
                    col = (indent if (first_in_list_item := (prefix == "")) else 0) + len(head)
                    if isinstance(val, str) and " " in val and line == val:
                        parts = _fold_plain(val, col, indent + 2)
                        out.append(head + parts[0])
                        out.extend(parts[1:])
                    else:
                        if isinstance(val, str) and " " in val and col + len(line) > BEST_WIDTH:
                            raise ValueError(f"quoted scalar would be folded by go-yaml: {line!r}")
                        out.append(head + line)
        return None
    if isinstance(v, list):
        for item in v:
            if isinstance(item, dict) and item:
                sub = []
                _emit(item, indent + 2, sub, in_list=True)
                out.append(f"{pad}- {sub[0]}")
                out.extend(sub[1:])
            elif isinstance(item, list) and item:
                raise ValueError("nested lists not used")
            else:
                line = _inline(item, indent + 2)
                if isinstance(line, list):
                    out.append(f"{pad}- {line[0]}")
                    out.extend(line[1:])
                else:
                    out.append(f"{pad}- {line}")
        return None
    raise TypeError(v)


def _inline(v, indent):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    if isinstance(v, str):
        q = _scalar(v)
        if q is not None:
            return q
        ind = " " * (indent + 2)
        head = "|" if v.endswith("\n") else "|-"
        body = v[:-1] if v.endswith("\n") else v
        return [head] + [(ind + ln) if ln else "" for ln in body.split("\n")]
    raise TypeError(v)


def to_yaml(obj):
    out = []
    _emit(obj, 0, out)
    return "\n".join(out) + "\n"


def to_json(obj):
    s = json.dumps(obj, indent=4, sort_keys=True, ensure_ascii=False)
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


# ---------------------------------------------------------------- defaulting
def default_container(c, pod=False):
    c = copy.deepcopy(c)
    img = c["image"]
    tag = img.rsplit("/", 1)[-1]
    c.setdefault("imagePullPolicy", "Always" if (":" not in tag or tag.endswith(":latest")) else "IfNotPresent")
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    for p in c.get("ports", []):
        p.setdefault("protocol", "TCP")
    for e in c.get("env", []):
        fr = e.get("valueFrom", {}).get("fieldRef")
        if fr is not None:
            fr.setdefault("apiVersion", "v1")
    for pk in ("readinessProbe", "livenessProbe", "startupProbe"):
        pr = c.get(pk)
        if pr:
            if "httpGet" in pr:
                pr["httpGet"].setdefault("scheme", "HTTP")
            pr.setdefault("failureThreshold", 3)
            pr.setdefault("periodSeconds", 10)
            pr.setdefault("successThreshold", 1)
            pr.setdefault("timeoutSeconds", 1)
    return c


def default_volumes(vols):
    vols = copy.deepcopy(vols)
    for v in vols:
        for k in ("configMap", "secret", "downwardAPI", "projected"):
            if k in v:
                v[k].setdefault("defaultMode", 420)
        if "downwardAPI" in v:
            for it in v["downwardAPI"].get("items", []):
                if "fieldRef" in it:
                    it["fieldRef"].setdefault("apiVersion", "v1")
    return vols


def default_podspec(spec):
    s = copy.deepcopy(spec)
    s["containers"] = [default_container(c) for c in s["containers"]]
    if "initContainers" in s:
        s["initContainers"] = [default_container(c) for c in s["initContainers"]]
    if "volumes" in s:
        s["volumes"] = default_volumes(s["volumes"])
    s.setdefault("dnsPolicy", "ClusterFirst")
    s.setdefault("restartPolicy", "Always")
    s.setdefault("schedulerName", "default-scheduler")
    s.setdefault("securityContext", {})
    s.setdefault("terminationGracePeriodSeconds", 30)
    if "serviceAccountName" in s:
        s["serviceAccount"] = s["serviceAccountName"]
    return s
