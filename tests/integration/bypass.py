"""Attempts to leave a non-compliant public image behind the proxy's back.

Each attempt is sent raw (http.client or a bare socket, so nothing is
normalised on the way), then Glance itself is asked, with the admin's
token and around the proxy, whether a public or community image named
"Ubuntu 24.04" with a bad image_source exists. Prints one line per case:
"PASS name" or "FAIL name: why". Usage: bypass.py PROXY_URL GLANCE_URL TOKEN
"""
import gzip
import http.client
import json
import socket
import sys
import threading
import time
import urllib.parse

proxy, glance, token = sys.argv[1:4]
P = urllib.parse.urlsplit(proxy)
G = urllib.parse.urlsplit(glance)
BAD = "https://evil.example/x.img"
GOOD = "https://cloud-images.ubuntu.com/releases/noble/x.img"
BODY = json.dumps({"name": "Ubuntu 24.04", "visibility": "public", "image_source": BAD})
JSON = {"X-Auth-Token": token, "Content-Type": "application/json"}
PATCH21 = "application/openstack-images-v2.1-json-patch"


def request(method, path, body=None, headers=None, url=P):
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    c.putrequest(method, path, skip_host=False, skip_accept_encoding=True)
    for k, v in (headers or {}).items():
        c.putheader(k, v)
    data = body.encode() if isinstance(body, str) else body
    if data is not None and "Transfer-Encoding" not in (headers or {}):
        c.putheader("Content-Length", str(len(data)))
    c.endheaders()
    if data is not None:
        if (headers or {}).get("Transfer-Encoding") == "chunked":
            c.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
        else:
            c.send(data)
    r = c.getresponse()
    out = r.status, r.read()
    c.close()
    return out


def raw(data):
    """Send bytes on one connection, return everything the proxy answered."""
    s = socket.create_connection((P.hostname, P.port), timeout=10)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    return got


def violators():
    """Public or community images with a bad source under a spec name, as Glance holds them."""
    found = []
    for vis in ("public", "community"):
        st, body = request("GET", "/v2/images?limit=1000&visibility=" + vis, headers={"X-Auth-Token": token}, url=G)
        for i in json.loads(body)["images"]:
            if i.get("name") == "Ubuntu 24.04" and not str(i.get("image_source", "")).startswith(GOOD[:47]):
                found.append(i["id"])
    return found


def image(vis="private", source=GOOD, name="Ubuntu 24.04"):
    st, body = request("POST", "/v2/images", json.dumps({"name": name, "visibility": vis, "image_source": source}),
                       JSON, url=G)
    return json.loads(body)["id"]


cases = []


def case(name):
    def wrap(fn):
        cases.append((name, fn))
        return fn
    return wrap


def refused(status):
    return status >= 400


# -- path spellings -------------------------------------------------------------------------
for path in ["//v2/images", "/v2/./images", "/v2/images/", "/v2/%69mages", "/v2%2Fimages", "/V2/images",
             "/v2/Images", "/v2/images;x", "/v2/images?x=1", "/v2.1/images", "/v2.15/images", "///v2/images",
             "/v2/images/.", "/v2/images%2F", "/v2/%2e/images", "/%76%32/images", "/v2/images%3Fx"]:
    cases.append(("POST " + path, lambda p=path: request("POST", p, BODY, JSON)[0]))
cases.append(("absolute-form target", lambda: int(raw(
    b"POST http://%s:%d/v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (P.hostname.encode(), P.port, token.encode(), len(BODY), BODY.encode()))[9:12])))
cases.append(("images path under a media-type version (Accept)", lambda: request(
    "POST", "/images", BODY, dict(JSON, Accept="application/vnd.openstack.images-v2"))[0]))

# -- methods -----------------------------------------------------------------------------------
cases.append(("method spelled post", lambda: request("post", "/v2/images", BODY, JSON)[0]))
for h in ["X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"]:
    cases.append(("override header " + h, lambda h=h: request("POST", "/v2/images", BODY, dict(JSON, **{h: "GET"}))[0]))

# -- bodies --------------------------------------------------------------------------------------
cases.append(("duplicate keys", lambda: request(
    "POST", "/v2/images", '{"name":"ok","name":"Ubuntu 24.04","visibility":"public","image_source":"%s"}' % BAD, JSON)[0]))
cases.append(("duplicate visibility", lambda: request(
    "POST", "/v2/images", '{"name":"Ubuntu 24.04","visibility":"private","visibility":"public","image_source":"%s"}' % BAD,
    JSON)[0]))
cases.append(("unicode-escaped keys", lambda: request(
    "POST", "/v2/images", '{"na\\u006de":"Ubuntu 24.04","visibilit\\u0079":"public","image_\\u0073ource":"%s"}' % BAD,
    JSON)[0]))
cases.append(("byte order mark", lambda: request("POST", "/v2/images", b"\xef\xbb\xbf" + BODY.encode(), JSON)[0]))
cases.append(("chunked body", lambda: request("POST", "/v2/images", BODY, dict(JSON, **{"Transfer-Encoding": "chunked"}))[0]))
cases.append(("Expect: 100-continue", lambda: request("POST", "/v2/images", BODY, dict(JSON, Expect="100-continue"))[0]))
cases.append(("Content-Encoding: gzip", lambda: request("POST", "/v2/images", gzip.compress(BODY.encode()),
                                                        dict(JSON, **{"Content-Encoding": "gzip"}))[0]))
cases.append(("good source nested under properties only", lambda: request(
    "POST", "/v2/images", json.dumps({"name": "Ubuntu 24.04", "visibility": "public", "properties": {"image_source": GOOD}}),
    JSON)[0]))
cases.append(("good nested, bad at the top", lambda: request(
    "POST", "/v2/images", json.dumps({"name": "Ubuntu 24.04", "visibility": "public", "image_source": BAD,
                                      "properties": {"image_source": GOOD}}), JSON)[0]))
cases.append(("name with a NUL escape", lambda: request(
    "POST", "/v2/images", '{"name":"Ubuntu 24.04\\u0000","visibility":"public","image_source":"%s"}' % BAD, JSON)[0]))
cases.append(("public and hidden at once", lambda: request(
    "POST", "/v2/images", json.dumps({"name": "Ubuntu 24.04", "visibility": "public", "os_hidden": True,
                                      "image_source": BAD}), JSON)[0]))

# -- protocol -------------------------------------------------------------------------------------
cases.append(("HTTP/1.0", lambda: int(raw(
    b"POST /v2/images HTTP/1.0\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (token.encode(), len(BODY), BODY.encode()))[9:12])))


def pipelined():
    one = b"GET /v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n\r\n" % token.encode()
    two = (b"POST /v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\n"
           b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (token.encode(), len(BODY), BODY.encode()))
    got = raw(one + two)
    codes = [int(got[i + 9:i + 12]) for i in range(len(got)) if got.startswith(b"HTTP/1.1 ", i)]
    return max(codes) if codes else 0


cases.append(("pipelined GET then bad POST", pipelined))
cases.append(("oversized header", lambda: request("POST", "/v2/images", BODY, dict(JSON, **{"X-Pad": "a" * 200000}))[0]
                                   if True else 0))
cases.append(("Content-Length and chunked together", lambda: int(raw(
    b"POST /v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\n"
    b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
    % (token.encode(), len(BODY), BODY.encode()))[9:12] or b"0")))

# -- two steps --------------------------------------------------------------------------------------


def patch_new(body, ctype=PATCH21, prefix="/v2/images/", vis="private", source=BAD):
    """Make an image straight at Glance, then PATCH it through the proxy."""
    i = image(vis, source)
    return lambda: request("PATCH", prefix + i, body, dict(JSON, **{"Content-Type": ctype}))[0]


TO_PUBLIC = '[{"op":"replace","path":"/visibility","value":"public"}]'


def hidden_then_unhidden_then_source():
    i = image("public", GOOD)
    request("PATCH", "/v2/images/" + i, '[{"op":"replace","path":"/os_hidden","value":true}]',
            dict(JSON, **{"Content-Type": PATCH21}))
    return request("PATCH", "/v2/images/" + i, '[{"op":"replace","path":"/image_source","value":"%s"}]' % BAD,
                   dict(JSON, **{"Content-Type": PATCH21}))[0]


def concurrent_patches():
    i = image("private", GOOD)
    codes = []
    def go(body):
        codes.append(request("PATCH", "/v2/images/" + i, body, dict(JSON, **{"Content-Type": PATCH21}))[0])
    t = [threading.Thread(target=go, args=('[{"op":"replace","path":"/visibility","value":"public"}]',)),
         threading.Thread(target=go, args=('[{"op":"replace","path":"/image_source","value":"%s"}]' % BAD,))]
    for x in t:
        x.start()
    for x in t:
        x.join()
    return max(codes)


# Each two-step case makes its image only when it runs (patch_new is lazy
# about the PATCH, not the image): wrap it so the image is made in turn.
for name, make in [
        ("private then PATCH to public", lambda: patch_new(TO_PUBLIC)),
        ("private then v2.0 PATCH to community", lambda: patch_new(
            '[{"replace":"/visibility","value":"community"}]', "application/openstack-images-v2.0-json-patch")),
        ("PATCH media type with parameters", lambda: patch_new(TO_PUBLIC, PATCH21 + "; charset=UTF-8")),
        ("PATCH media type in capitals", lambda: patch_new(TO_PUBLIC, PATCH21.upper())),
        ("PATCH pointer with slashes and NBSP", lambda: patch_new(
            '[{"op":"replace","path":"// visibility\\u00a0","value":"public"}]')),
        ("PATCH on an encoded path", lambda: patch_new(TO_PUBLIC, prefix="/v2/%69mages/"))]:
    cases.append((name, lambda make=make: make()()))


def legacy_task():
    """The tasks API creates the image from image_properties, asynchronously."""
    st, _ = request("POST", "/v2/tasks", json.dumps({"type": "import", "input": {
        "import_from": glance + "/versions", "import_from_format": "raw",
        "image_properties": {"name": "Ubuntu 24.04", "visibility": "public", "image_source": BAD,
                             "disk_format": "raw", "container_format": "bare"}}}), JSON)
    time.sleep(3)   # long enough for Glance's task to create its image
    return st


cases.append(("legacy tasks API import", legacy_task))

# -- closed by construction: the route table and header hygiene ---------------------
# Each of these must be refused by the proxy itself (expect), and leave
# Glance as it was (the judge below, or the case's own look at Glance).

def expect(want, fn):
    def run():
        st = fn()
        if st != want:
            raise AssertionError("HTTP %s, expected the proxy's %s" % (st, want))
        return st
    return run


def status_of(got):
    return int(got[9:12] or b"0")


def glance_image(i):
    return json.loads(request("GET", "/v2/images/" + i, headers={"X-Auth-Token": token}, url=G)[1])


def method_in_query(spelling):
    i = image("private", BAD)
    return request("POST", "/v2/images/%s?%s=PATCH" % (i, spelling), TO_PUBLIC,
                   dict(JSON, **{"Content-Type": PATCH21}))[0]


cases.append(("_method=PATCH in the query of a POST", expect(400, lambda: method_in_query("_method"))))
cases.append(("%5Fmethod=PATCH in the query of a POST", expect(400, lambda: method_in_query("%5Fmethod"))))
cases.append(("_method=POST on a read", expect(400, lambda: request("GET", "/v2/images?_method=POST", BODY, JSON)[0])))
cases.append(("form body with _method", expect(415, lambda: request(
    "POST", "/v2/images/%s/members" % image("private", BAD), "_method=PATCH",
    dict(JSON, **{"Content-Type": "application/x-www-form-urlencoded"}))[0])))
cases.append(("fragment after a create (POST /v2/images#/x)", expect(400, lambda: request(
    "POST", "/v2/images#/x", BODY, JSON)[0])))
cases.append(("fragment hiding a PATCH as a read", expect(400, lambda: status_of(raw(
    b"PATCH /v2/images/%s#/file HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nContent-Type: %s\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (image("private", BAD).encode(), token.encode(), PATCH21.encode(),
                                          len(TO_PUBLIC), TO_PUBLIC.encode()))))))
cases.append(("empty Accept then media-type Accept on /images", expect(400, lambda: status_of(raw(
    b"POST /images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nAccept: \r\n"
    b"Accept: application/vnd.openstack.images-v2\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (token.encode(), len(BODY), BODY.encode()))))))
cases.append(("two Accept headers", expect(400, lambda: status_of(raw(
    b"POST /v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nAccept: application/json\r\n"
    b"Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
    % (token.encode(), len(BODY), BODY.encode()))))))


def smuggled(prefix):
    """A harmless read whose body, framed another way, is a second request creating a violator."""
    inner = (b"POST /v2/images HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n%s" % (token.encode(), len(BODY), BODY.encode()))
    body = b"0\r\n\r\n" + inner
    return status_of(raw(prefix + b"X-Auth-Token: %s\r\nContent-Length: %d\r\n\r\n%s"
                         % (token.encode(), len(body), body)))


cases.append(("Transfer_Encoding (underscore) smuggling", expect(400, lambda: smuggled(
    b"POST /v2/images/%s/members HTTP/1.1\r\nHost: x\r\nTransfer_Encoding: chunked\r\n" % image().encode()))))
cases.append(("Content-Length and Transfer-Encoding smuggling", expect(400, lambda: smuggled(
    b"POST /v2/images/%s/members HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n" % image().encode()))))
cases.append(("Transfer-Encoding other than chunked", expect(400, lambda: smuggled(
    b"POST /v2/images/%s/members HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n" % image().encode()))))


def bare_cr():
    i = image("private", BAD)
    return status_of(raw(
        b"PATCH /v2/images/%s HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\nX-Note: a\rContent-Type: %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (i.encode(), token.encode(), PATCH21.encode(), len(TO_PUBLIC), TO_PUBLIC.encode())))


cases.append(("bare CR in a header value", expect(400, bare_cr)))


def read_with_body(method):
    """GET/HEAD .../file with a body once reached Glance as an undecided PUT upload."""
    i = json.loads(request("POST", "/v2/images", json.dumps({
        "name": "Ubuntu 24.04", "visibility": "public", "os_hidden": True, "image_source": BAD,
        "disk_format": "raw", "container_format": "bare"}), JSON, url=G)[1])["id"]
    st = status_of(raw(b"%s /v2/images/%s/file HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n"
                       b"Content-Type: application/octet-stream\r\nContent-Length: 4\r\n"
                       b"Connection: close\r\n\r\ndata" % (method.encode(), i.encode(), token.encode())))
    state = glance_image(i)["status"]
    request("DELETE", "/v2/images/" + i, headers={"X-Auth-Token": token}, url=G)
    if state != "queued":
        raise AssertionError("Glance took data for the image: it is %s" % state)
    return st


cases.append(("GET with a body", expect(400, lambda: read_with_body("GET"))))
cases.append(("HEAD with a body", expect(400, lambda: read_with_body("HEAD"))))


def authority_target():
    """GET @host:port/x once made the proxy connect there with the caller's token."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    lst.settimeout(2)
    port = lst.getsockname()[1]
    st = status_of(raw(b"GET @127.0.0.1:%d/x HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n\r\n"
                       % (port, token.encode())))
    try:
        conn, _ = lst.accept()
        got = conn.recv(65536)
        conn.close()
        raise AssertionError("the listener was contacted (%d bytes%s)" % (
            len(got), ", with the token" if token.encode() in got else ""))
    except socket.timeout:
        pass
    finally:
        lst.close()
    return st


cases.append(("@host:port target does not reach another host", expect(400, authority_target)))


def oversized_answer():
    """Glance's answer too large to recheck: the image is hidden, the client gets 502."""
    props = {"pad%03d" % k: "x" * 60000 for k in range(100)}
    i = json.loads(request("POST", "/v2/images", json.dumps(dict(
        props, name="Ubuntu 24.04", visibility="public", image_source=GOOD)), JSON, url=G)[1])["id"]
    st = request("PATCH", "/v2/images/" + i, '[{"op":"add","path":"/note","value":"x"}]',
                 dict(JSON, **{"Content-Type": PATCH21}))[0]
    hidden = glance_image(i).get("os_hidden")
    request("DELETE", "/v2/images/" + i, headers={"X-Auth-Token": token}, url=G)
    if not hidden:
        raise AssertionError("the image was not hidden (HTTP %s)" % st)
    return st


cases.append(("recheck of an answer too large to parse fails closed", expect(502, oversized_answer)))


def reactivate():
    """Reactivation puts an image back into use: decided on the image as it is."""
    i = json.loads(request("POST", "/v2/images", json.dumps({
        "name": "Ubuntu 24.04", "visibility": "public", "image_source": BAD, "disk_format": "raw",
        "container_format": "bare"}), JSON, url=G)[1])["id"]
    request("PUT", "/v2/images/%s/file" % i, b"data", dict(JSON, **{"Content-Type": "application/octet-stream"}), url=G)
    request("POST", "/v2/images/%s/actions/deactivate" % i, headers={"X-Auth-Token": token}, url=G)
    st = request("POST", "/v2/images/%s/actions/reactivate" % i, headers={"X-Auth-Token": token})[0]
    state = glance_image(i)["status"]
    request("DELETE", "/v2/images/" + i, headers={"X-Auth-Token": token}, url=G)
    if state != "deactivated":
        raise AssertionError("the violating image is %s again" % state)
    return st


cases.append(("reactivating a violating image is decided", expect(403, reactivate)))


def upload_then_changed_around():
    """An upload decided on a harmless image; while its body is held back the
    image is made violating (here straight at Glance, as a second proxy node
    deciding on a stale image could). Glance writes the image back at the
    upload's end as it loaded it: the proxy must have Glance load it at the
    decision (not at the client's first byte), and decide it again after."""
    i = json.loads(request("POST", "/v2/images", json.dumps({
        "name": "Foo", "visibility": "private", "image_source": BAD, "disk_format": "raw",
        "container_format": "bare"}), JSON, url=G)[1])["id"]
    s = socket.create_connection((P.hostname, P.port), timeout=30)
    s.sendall(b"PUT /v2/images/%s/file HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n"
              b"Content-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\n" % (i.encode(), token.encode()))
    time.sleep(1)
    saving = glance_image(i)["status"]
    request("PATCH", "/v2/images/" + i, json.dumps([
        {"op": "replace", "path": "/name", "value": "Ubuntu 24.04"},
        {"op": "replace", "path": "/visibility", "value": "public"}]),
        dict(JSON, **{"Content-Type": PATCH21}), url=G)
    s.sendall(b"0123456789")
    got = s.recv(300)
    s.close()
    if saving != "saving":
        raise AssertionError("Glance had not begun the upload a second after its decision (%s)" % saving)
    return status_of(got)


cases.append(("upload held back while the image is changed around it", upload_then_changed_around))

cases.append(("hide, then change the source", hidden_then_unhidden_then_source))
cases.append(("two concurrent PATCHes, each harmless alone", concurrent_patches))

for name, fn in cases:
    try:
        status = fn()
        bad = violators()
        if bad:
            print("FAIL %s: status %s, and Glance now holds a violating public image %s" % (name, status, bad[0]))
            for i in bad:   # clean up so the next case is judged on its own
                request("DELETE", "/v2/images/" + i, headers={"X-Auth-Token": token}, url=G)
        else:
            print("PASS %s (HTTP %s)" % (name, status))
    except Exception as e:   # a crash of the harness is a failure, never a pass
        print("FAIL %s: %r" % (name, e))
    sys.stdout.flush()
