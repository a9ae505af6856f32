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
