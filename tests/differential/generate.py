"""Requests generated from the edges of Glance's v2 grammar, as raw bytes.

Each case is (cls, name, bytes): cls names the class the differential
suite reports on (one check per class). Every request carries the
caller's token and an x-openstack-request-id that encodes the case number
(rid(n, k)), so a request that reaches Glance can be traced back to its
case, smuggled ones included. Deterministic: the edges are enumerated in
order; random combinations (the campaign) come from a seeded PRNG.
"""
import json
import os
import random

IMAGE = "6f1e0cb6-9f0a-4f57-b3bb-2c53f16e0d16"
PADDED = "9add0000-0000-4000-8000-000000000009"   # capture.py: answers about it exceed 4 MiB
PATCH21 = "application/openstack-images-v2.1-json-patch"
PATCH20 = "application/openstack-images-v2.0-json-patch"
# Compliant bodies: the policy admits them, so whatever the proxy decides
# it forwards, and the question is only whether it decided.
CREATE = json.dumps({"name": "diff-ok", "disk_format": "raw", "container_format": "bare"})
PATCH = json.dumps([{"op": "replace", "path": "/name", "value": "diff-ok-2"}])
IMPORT = json.dumps({"method": {"name": "glance-direct"}})
TASK = json.dumps({"type": "import", "input": {"import_from": "http://127.0.0.1/x.img",
                                                 "import_from_format": "raw",
                                                 "image_properties": {"name": "diff-task"}}})
MEMBER = json.dumps({"member": "customer-b"})


def rid(n, k=0):
    """oslo's req-<uuid>, the case number in its last group."""
    return "req-00000000-0000-4000-8000-%012x" % (n * 16 + k)


def case_of(request_id):
    """The case number a request id names, or None."""
    if not request_id or not request_id.startswith("req-00000000-0000-4000-8000-"):
        return None
    try:
        return int(request_id[-12:], 16) // 16
    except ValueError:
        return None


# Every Glance v2 route (glance/api/v2/router.py), with the method that
# makes it do something and a body that the deserializer accepts.
ROUTES = [
    ("POST", "/v2/images", "application/json", CREATE),
    ("GET", "/v2/images", None, None),
    ("PATCH", "/v2/images/{id}", PATCH21, PATCH),
    ("GET", "/v2/images/{id}", None, None),
    ("DELETE", "/v2/images/{id}", None, None),
    ("GET", "/v2/images/{id}/tasks", None, None),
    ("POST", "/v2/images/{id}/import", "application/json", IMPORT),
    ("DELETE", "/v2/stores/local/{id}", None, None),
    ("POST", "/v2/images/{id}/actions/deactivate", None, None),
    ("POST", "/v2/images/{id}/actions/reactivate", None, None),
    ("PUT", "/v2/images/{id}/file", "application/octet-stream", "DATA" * 8),
    ("GET", "/v2/images/{id}/file", None, None),
    ("PUT", "/v2/images/{id}/stage", "application/octet-stream", "DATA" * 8),
    ("PUT", "/v2/images/{id}/tags/diff", None, None),
    ("DELETE", "/v2/images/{id}/tags/diff", None, None),
    ("POST", "/v2/images/{id}/members", "application/json", MEMBER),
    ("PUT", "/v2/images/{id}/members/customer-b", "application/json", json.dumps({"status": "accepted"})),
    ("POST", "/v2/tasks", "application/json", TASK),
    ("GET", "/v2/tasks", None, None),
    ("GET", "/v2/schemas/image", None, None),
    ("GET", "/v2/info/import", None, None),
    ("PUT", "/v2/cache/{id}", None, None),
    ("GET", "/versions", None, None),
]
# The routes whose action mutates an image (actions.MUTATING), by their canonical method + path.
MUTATING_ROUTES = [r for r in ROUTES if (r[0], r[1]) in {
    ("POST", "/v2/images"), ("PATCH", "/v2/images/{id}"), ("POST", "/v2/images/{id}/import"),
    ("POST", "/v2/images/{id}/actions/deactivate"), ("POST", "/v2/images/{id}/actions/reactivate"),
    ("PUT", "/v2/images/{id}/file"), ("PUT", "/v2/images/{id}/stage"), ("POST", "/v2/tasks")}]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND", "FOO",
           "get", "post", "put", "patch", "delete", "Post", "PATCH ", "M-POST"]


class Req:
    """A request to be rendered: method, target, headers (a list, in
    order, duplicates allowed, raw names and values) and body."""

    def __init__(self, method, target, ctype=None, body=None):
        self.method, self.target, self.body = method, target, (body or "")
        self.headers = [("Host", "glance")]
        if ctype:
            self.headers.append(("Content-Type", ctype))
        self.framing = "length" if body else "none"   # length | chunked | none | raw
        self.line_end = "\r\n"
        self.version = "HTTP/1.1"
        self.tail = ""                                # bytes after the body (smuggled)

    def set(self, name, value):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()] + [(name, value)]
        return self

    def drop(self, name):
        self.headers = [(k, v) for k, v in self.headers if k.lower() != name.lower()]
        return self

    def add(self, name, value):
        self.headers.append((name, value))
        return self

    def render(self, token, n, k=0):
        return self.render_id(token, rid(n, k))

    def render_id(self, token, request_id):
        body = self.body.encode("latin-1") if isinstance(self.body, str) else self.body
        hs = [("X-Auth-Token", token), ("x-openstack-request-id", request_id)] + self.headers
        if self.framing == "length":
            hs.append(("Content-Length", str(len(body))))
        elif self.framing == "chunked":
            hs.append(("Transfer-Encoding", "chunked"))
            body = (b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)) if body else b"0\r\n\r\n"
        head = "%s %s %s%s" % (self.method, self.target, self.version, self.line_end)
        head += "".join("%s: %s%s" % (k, v, self.line_end) for k, v in hs if k is not None)
        tail = self.tail.encode("latin-1") if isinstance(self.tail, str) else self.tail
        return head.encode("latin-1") + self.line_end.encode() + body + tail


def route_req(method, path, ctype, body, image=IMAGE):
    return Req(method, path.replace("{id}", image), ctype, body)


# -- path spellings: each a function of the canonical path --------------------------------------

def _pct(c):
    return "%%%02X" % ord(c)


PATH_SPELLINGS = {
    "double slash first": lambda p: "/" + p,
    "triple slash first": lambda p: "//" + p,
    "double slash inside": lambda p: p.replace("/images", "//images", 1).replace("/tasks", "//tasks", 1),
    "dot segment": lambda p: p.replace("/v2/", "/v2/./", 1),
    "dot-dot segment": lambda p: p.replace("/v2/", "/v2/x/../", 1),
    "%2f for a slash": lambda p: p[:3] + p[3:].replace("/", "%2f", 1) if p.count("/") > 2 else p[:3] + "%2F" + p[4:],
    "%2e for a dot segment": lambda p: p.replace("/v2/", "/v2/%2e/", 1),
    "%2e%2e segment": lambda p: p.replace("/v2/", "/v2/x/%2e%2e/", 1),
    "percent-encoded letter": lambda p: p.replace("images", "%69mages").replace("tasks", "%74asks"),
    "percent-encoded version": lambda p: "/%76%32" + p[3:],
    "lower-case percent": lambda p: p.replace("images", "%69mages".lower()),
    "double-encoded": lambda p: p.replace("images", "%2569mages"),
    "upper-case segment": lambda p: p.replace("images", "Images").replace("tasks", "Tasks"),
    "upper-case version": lambda p: "/V2" + p[3:],
    "trailing slash": lambda p: p + "/",
    "v2.1": lambda p: "/v2.1" + p[3:],
    "v2.0": lambda p: "/v2.0" + p[3:],
    "v2.15": lambda p: "/v2.15" + p[3:],
    "v2.99": lambda p: "/v2.99" + p[3:],
    "no version": lambda p: p[3:],
    "fragment": lambda p: p + "#frag",
    "fragment hiding the tail": lambda p: p.rsplit("/", 1)[0] + "#/" + p.rsplit("/", 1)[1],
    "fragment then tail": lambda p: p + "#/../../x",
    "path params": lambda p: p + ";x=1",
    "semicolon inside": lambda p: p.replace("/images", "/images;x", 1),
    "backslash": lambda p: p.replace("/", "\\"),
    "userinfo @host": lambda p: "@127.0.0.1:1" + p,
    "absolute-form": lambda p: "http://glance" + p,
    "absolute-form https": lambda p: "https://127.0.0.1:1" + p,
    "scheme-relative": lambda p: "//glance" + p,
    "asterisk": lambda p: "*",
    "asterisk then path": lambda p: "*" + p,
    "encoded query mark": lambda p: p + "%3Fx=1",
    "encoded NUL": lambda p: p + "%00",
    "encoded CR": lambda p: p + "%0d",
    "tab in path": lambda p: p.replace("/v2", "/v2\t", 1),
    "raw space": lambda p: p.replace("/v2", "/ v2", 1),
    "non-ASCII": lambda p: p + "\xe9",
    "overlong utf-8 slash": lambda p: p.replace("/images", "%c0%afimages", 1),
    "upper-case id": lambda p: p.replace(IMAGE, IMAGE.upper()),
    "id with braces": lambda p: p.replace(IMAGE, "{" + IMAGE + "}"),
    "id without dashes": lambda p: p.replace(IMAGE, IMAGE.replace("-", "")),
}

QUERIES = {
    "plain query": "?x=1",
    "empty query": "?",
    "double question mark": "??x",
    "query with a slash": "?/x",
    "_method=GET": "?_method=GET",
    "_method=get": "?_method=get",
    "encoded _method": "?%5fmethod=GET",
    "_method twice": "?_method=GET&_method=POST",
    "_method empty": "?_method=",
    "_method after": "?x=1&_method=GET",
    "_method not first char": "?a_method=GET",
    "query then fragment": "?x=1#y",
    "semicolon separator": "?x=1;_method=GET",
    "visibility param": "?visibility=public",
}


def path_cases():
    """Every mutating route under every path spelling and query variant."""
    for method, path, ctype, body in MUTATING_ROUTES:
        canon = path.replace("{id}", IMAGE)
        for name, f in PATH_SPELLINGS.items():
            yield "path spellings", "%s %s (%s)" % (method, name, canon), Req(method, f(canon), ctype, body)
        for name, q in QUERIES.items():
            yield "query variants", "%s %s%s (%s)" % (method, canon, q, name), Req(method, canon + q, ctype, body)


def method_cases():
    """Every route under every method, the canonical body of the route."""
    for method, path, ctype, body in ROUTES:
        for m in METHODS:
            yield "routes x methods", "%s %s" % (m, path), route_req(m, path, ctype, body)


def override_cases():
    """Each mutating route's action asked for with another method and an
    override: headers, _method in the query, _method in a form body."""
    for method, path, ctype, body in MUTATING_ROUTES:
        for outer in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]:
            if outer == method:
                continue
            for h in ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]:
                yield "method override", "%s %s, %s: %s" % (outer, path, h, method), \
                    route_req(outer, path, ctype, body).add(h, method)
            for spell in [method, method.lower()]:
                q = "?_method=" + spell
                yield "_method in the query", "%s %s%s" % (outer, path, q), route_req(outer, path + q, ctype, body)
                yield "_method in the query", "%s %s?x=1&_method=%s (form)" % (outer, path, spell), \
                    route_req(outer, path + "?x=1&_method=" + spell, ctype, body)
            if outer == "POST":
                yield "_method in a form body", "POST %s, form _method=%s" % (path, method), \
                    route_req("POST", path, "application/x-www-form-urlencoded", "_method=" + method)


def header_cases():
    """Headers that two parsers may read differently."""
    for method, path, ctype, body in MUTATING_ROUTES:
        r = lambda: route_req(method, path, ctype, body)  # noqa: E731
        label = "%s %s" % (method, path)
        yield "header variants", label + " empty Accept then versioned Accept", \
            r().add("Accept", "").add("Accept", "application/vnd.openstack.images-v2.1")
        yield "header variants", label + " Accept versioning, unversioned path", \
            Req(method, path.replace("/v2", "", 1).replace("{id}", IMAGE), ctype, body).add(
                "Accept", "application/vnd.openstack.images-v2")
        yield "header variants", label + " two Accepts, versioned second", \
            Req(method, path.replace("/v2", "", 1).replace("{id}", IMAGE), ctype, body).add(
                "Accept", "application/json").add("Accept", "application/vnd.openstack.images-v2.1")
        yield "header variants", label + " empty Accept", r().add("Accept", "")
        if ctype:
            yield "header variants", label + " two Content-Types", r().add("Content-Type", "application/json")
            yield "header variants", label + " Content_Type underscore", r().drop("Content-Type").add(
                "Content_Type", ctype)
            yield "header variants", label + " bare CR then Content-Type", r().drop("Content-Type").add(
                "X-Diff", "a\rContent-Type: " + ctype)
        yield "header variants", label + " X_Auth_Token underscore twin", r().add("X_Auth_Token", "other")
        yield "header variants", label + " NUL in a value", r().add("X-Diff", "a\x00b")
        yield "header variants", label + " obs-fold", r().add("X-Diff", "a").add(" folded", "b")
        yield "header variants", label + " bare LF line ends", _lf(r())
        yield "header variants", label + " bare CR hides Accept", r().add(
            "X-Diff", "a\rAccept: application/vnd.openstack.images-v2")
        yield "header variants", label + " two Hosts", r().add("Host", "other")
        yield "header variants", label + " HTTP/1.0", _v10(r())


def _lf(r):
    r.line_end = "\n"
    return r


def _v10(r):
    r.version = "HTTP/1.0"
    return r


class Smuggle:
    """An outer request whose body, in Glance's reading of the framing,
    ends early: the rest is a second request only Glance sees."""

    def __init__(self, outer, extra, prefix, inner):
        self.outer, self.extra, self.prefix, self.inner = outer, extra, prefix, inner

    def render(self, token, n, k=0):
        inner = self.inner.render(token, n, k + 1).decode("latin-1")
        self.outer.body = self.prefix + inner
        self.outer.framing = "length"
        for name, value in self.extra:
            self.outer.add(name, value)
        return self.outer.render(token, n, k)


def smuggle_cases():
    """Framing a proxy and eventlet may read differently, each carrying
    one request of each mutating route."""
    outers = [("GET", "/v2/images"), ("POST", "/v2/images/{id}/members"), ("PUT", "/v2/images/{id}/tags/diff"),
              ("POST", "/v2/images")]
    end = "0\r\n\r\n"    # a chunked body's end: what follows is the next request
    framings = {
        "CL + Transfer_Encoding": ([("Transfer_Encoding", "chunked")], end),
        "CL + TE": ([("Transfer-Encoding", "chunked")], end),
        "CL + TE with a space": ([("Transfer-Encoding", " chunked")], end),
        "CL + TE Chunked": ([("Transfer-Encoding", "Chunked")], end),
        "CL + TE identity, chunked": ([("Transfer-Encoding", "identity, chunked")], end),
        "CL + TE gzip, chunked": ([("Transfer-Encoding", "gzip, chunked")], end),
        "CL + TE twice": ([("Transfer-Encoding", "identity"), ("Transfer-Encoding", "chunked")], end),
        "CL + TE after bare CR": ([("X-Diff", "a\rTransfer-Encoding: chunked")], end),
        "CL + TE tab": ([("Transfer-Encoding", "\tchunked")], end),
        "CL + TE vertical tab": ([("Transfer-Encoding", "chunked\x0b")], end),
        "two Content-Lengths": ([("Content-Length", "0")], ""),
        "Content_Length": ([("Content_Length", "0")], ""),
        "CL after bare CR": ([("X-Diff", "a\rContent-Length: 0")], ""),
    }
    for mi, (im, ipath, ictype, ibody) in enumerate(MUTATING_ROUTES):
        for fname, (extra, prefix) in framings.items():
            for om, opath in outers:
                inner = route_req(im, ipath, ictype, ibody)
                outer = Req(om, opath.replace("{id}", IMAGE), "application/json")
                yield "smuggling (framing)", "%s %s carrying %s %s (%s)" % (om, opath, im, ipath, fname), \
                    Smuggle(outer, extra, prefix, inner)


def body_cases():
    """A body on GET, HEAD and DELETE, of each route, by length and chunked."""
    for method, path, ctype, body in ROUTES:
        for m in ["GET", "HEAD", "DELETE"]:
            for framing in ["length", "chunked"]:
                r = route_req(m, path, ctype or "application/octet-stream", body or "DATA" * 8)
                r.framing = framing
                yield "bodies on GET/HEAD/DELETE", "%s %s with a body (%s)" % (m, path, framing), r


def corpus_cases(corpus_dirs):
    """The route fuzz target's inputs (METHOD\\nTARGET[\\nACCEPT]) in the
    directories given, separated by ':'."""
    files = [os.path.join(d, f) for d in corpus_dirs.split(":") if d and os.path.isdir(d)
             for f in sorted(os.listdir(d))]
    for path in files:
        f = os.path.basename(path)
        data = open(path, "rb").read().decode("latin-1")
        parts = data.split("\n")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            continue
        method, target = parts[0], parts[1]
        if any(c in method + target for c in "\r\n ") or len(target) > 6000:
            continue
        ctype, body = _body_for(method, target)
        r = Req(method, target.replace("abc", IMAGE), ctype, body)
        if len(parts) > 2 and parts[2]:
            r.add("Accept", parts[2])
        yield "route fuzz corpus", "corpus %s: %r %r" % (f, method, target), r


def _body_for(method, target):
    """The body the action named by the target's last word would need."""
    t = target.lower()
    if "import" in t:
        return "application/json", IMPORT
    if "file" in t or "stage" in t:
        return "application/octet-stream", "DATA" * 8
    if "tasks" in t:
        return "application/json", TASK
    if method.upper() == "PATCH":
        return PATCH21, PATCH
    return "application/json", CREATE


CREATE_BODIES = {
    "duplicate name": '{"name": "a", "name": "diff-dup", "visibility": "private"}',
    "duplicate visibility": '{"name": "diff-dup", "visibility": "private", "visibility": "shared"}',
    "escaped key": '{"na\\u006de": "diff-esc", "visibilit\\u0079": "private"}',
    "escaped value": '{"name": "diff-\\u00e9", "image_source": "https://x\\u002fy"}',
    "byte order mark": '\xef\xbb\xbf{"name": "diff-bom"}',
    "trailing garbage": '{"name": "diff-trail"} {"name": "other"}',
    "NaN": '{"name": "diff-nan", "min_ram": NaN}',
    "lone surrogate": '{"name": "diff-\\ud800"}',
    "NUL escape": '{"name": "diff-\\u0000x"}',
    "nested properties": '{"name": "diff-nest", "properties": {"image_source": "https://x"}}',
    "os_hidden as string": '{"name": "diff-hid", "os_hidden": "true"}',
    "big number": '{"name": "diff-big", "min_ram": 1e400}',
    "latin-1 byte": '{"name": "diff-\xe9"}',
}
PATCH_BODIES = {
    "duplicate value": '[{"op": "replace", "path": "/name", "value": "a", "value": "diff-dup"}]',
    "duplicate path": '[{"op": "replace", "path": "/os_distro", "path": "/name", "value": "diff-dup"}]',
    "escaped path": '[{"op": "replace", "path": "/na\\u006de", "value": "diff-esc"}]',
    "tilde path": '[{"op": "add", "path": "/diff~1x", "value": "y"}]',
    "v2.0 style path": '[{"op": "replace", "path": "/properties/name", "value": "diff-v20"}]',
    "add then remove": '[{"op": "add", "path": "/image_source", "value": "https://x"}, '
                       '{"op": "remove", "path": "/image_source"}]',
    "replace missing": '[{"op": "replace", "path": "/os_purpose", "value": "diff"}]',
    "move": '[{"op": "move", "from": "/name", "path": "/image_source"}]',
    "test op": '[{"op": "test", "path": "/name", "value": "diff-image"}]',
    "old-style keys": '[{"replace": "/name", "value": "diff-old"}]',
}


def body_parse_cases():
    """JSON bodies two parsers may read differently: the image the proxy
    decided on must be the one Glance would hold."""
    for name, body in CREATE_BODIES.items():
        yield "body parsing", "POST /v2/images: " + name, route_req("POST", "/v2/images", "application/json", body)
    for name, body in PATCH_BODIES.items():
        for ctype in (PATCH21, PATCH20):
            yield "body parsing", "PATCH (%s): %s" % (ctype[28:32], name), \
                route_req("PATCH", "/v2/images/{id}", ctype, body)


def recheck_cases():
    """Decided changes whose answer from Glance is too large for the
    proxy's recheck buffer: the proxy must pass the answer only after its
    recheck, or hide the image (fail closed)."""
    for ctype in (PATCH21, PATCH20):
        yield "recheck of large answers", "PATCH padded image (%s)" % ctype, \
            route_req("PATCH", "/v2/images/{id}", ctype, PATCH, PADDED)


def random_cases(count, seed):
    """Random combinations of the edges above, for the campaign."""
    rnd = random.Random(seed)
    spellings = list(PATH_SPELLINGS.values())
    queries = [""] * 4 + list(QUERIES.values())
    for i in range(count):
        method, path, ctype, body = rnd.choice(MUTATING_ROUTES if rnd.random() < 0.7 else ROUTES)
        m = rnd.choice([method] * 4 + METHODS)
        p = path.replace("{id}", IMAGE)
        for _ in range(rnd.randint(0, 2)):
            try:
                p = rnd.choice(spellings)(p)
            except IndexError:      # a spelling that does not apply to what earlier ones made
                pass
        p += rnd.choice(queries)
        r = Req(m, p, ctype, body)
        for _ in range(rnd.randint(0, 2)):
            k = rnd.randint(0, 9)
            if k == 0:
                r.add(rnd.choice(["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]), method)
            elif k == 1:
                r.add("Accept", rnd.choice(["", "application/vnd.openstack.images-v2.1", "*/*"]))
            elif k == 2 and ctype:
                r.drop("Content-Type").add(rnd.choice(["Content_Type", "content-type", "X-Diff"]),
                                           ctype if rnd.random() < 0.5 else "a\rContent-Type: " + ctype)
            elif k == 3:
                r.framing = "chunked" if body else "none"
            elif k == 4:
                r.add("Transfer_Encoding", "chunked")
            elif k == 5:
                r.line_end = "\n"
            elif k == 6 and ctype:
                r.add("Content-Type", rnd.choice([PATCH20, PATCH21, "application/json"]))
            elif k == 7:
                r.body = body or "DATA" * 8
                r.framing = "length"
        yield "random combinations", "random #%d: %s %s" % (i, m, p), r
