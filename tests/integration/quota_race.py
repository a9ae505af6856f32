"""Concurrent requests for tests/integration/quota.sh, judged by asking Glance.

  setup NAME[:PROJECT[:DOMAIN]]...
                             a project (default customer-NAME, domain Default,
                             created when missing) and a member user for each
                             NAME; prints shell assignments NAME_ID, NAME_TOKEN
  creates N TOKEN URL...     N creates at once, spread over the proxies; prints the codes
  uploads TOKEN SECONDS WHAT URL... ID...
                             one upload per image at once, spread over the proxies,
                             each body sent over SECONDS; WHAT is SIZE (Content-Length)
                             or chunked:SIZE; prints the codes
  glance PROJECT             the project's images as Glance holds them (admin token):
                             count, sizes, statuses, markers as JSON
  clean PROJECT              delete the project's images
Environment: KEYSTONE_AUTH_URL, GLANCE_URL, ADMIN_PASSWORD (tests/stack env).
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request


def call(method, url, token=None, body=None, ctype="application/json", expect=None):
    h = {"Content-Type": ctype}
    if token:
        h["X-Auth-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def auth(user, password, project, domain="Default"):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "domain": {"name": domain}, "password": password}}},
        "scope": {"project": {"name": project, "domain": {"name": domain}}}}}
    st, h, _ = call("POST", os.environ["KEYSTONE_AUTH_URL"].rstrip("/") + "/auth/tokens", body=body)
    assert st == 201, st
    return h["X-Subject-Token"]


def admin():
    return auth("admin", os.environ["ADMIN_PASSWORD"], "admin")


def ks(path):
    return os.environ["KEYSTONE_AUTH_URL"].rstrip("/") + path


def setup(specs):
    tok = admin()
    _, _, b = call("GET", ks("/roles?name=member"), tok)
    member = json.loads(b)["roles"][0]["id"]
    for spec in specs:
        name, pname, dname = (spec.split(":") + [None, None])[:3]
        pname = pname or "customer-" + name.lower()
        did = "default"
        if dname:
            st, _, b = call("POST", ks("/domains"), tok, {"domain": {"name": dname}})
            if st == 409:
                _, _, b = call("GET", ks("/domains?name=" + dname), tok)
                did = json.loads(b)["domains"][0]["id"]
            else:
                did = json.loads(b)["domain"]["id"]
        st, _, b = call("POST", ks("/projects"), tok, {"project": {"name": pname, "domain_id": did}})
        if st == 409:
            _, _, b = call("GET", ks("/projects?name=%s&domain_id=%s" % (urllib.parse.quote(pname), did)), tok)
            pid = json.loads(b)["projects"][0]["id"]
        else:
            pid = json.loads(b)["project"]["id"]
        user, pw = "user-" + name.lower(), "pw-" + name.lower() + "-x1"
        st, _, b = call("POST", ks("/users"), tok, {"user": {"name": user, "password": pw, "domain_id": did}})
        if st == 409:
            _, _, b = call("GET", ks("/users?name=%s&domain_id=%s" % (user, did)), tok)
            uid = json.loads(b)["users"][0]["id"]
        else:
            uid = json.loads(b)["user"]["id"]
        call("PUT", ks("/projects/%s/users/%s/roles/%s" % (pid, uid, member)), tok)
        print("%s_ID=%s" % (name, pid))
        print("%s_TOKEN=%s" % (name, auth(user, pw, pname, dname or "Default")))


def at_once(jobs):
    """Run the callables together (started at one barrier); their results in order."""
    out = [None] * len(jobs)
    gate = threading.Barrier(len(jobs))

    def run(i):
        gate.wait()
        try:
            out[i] = jobs[i]()
        except Exception as e:  # a connection closed on us
            out[i] = "ERR:" + type(e).__name__
    ts = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return out


def creates(n, token, urls):
    def one(i):
        return lambda: call("POST", urls[i % len(urls)] + "/v2/images", token, {
            "name": "race-%d" % i, "disk_format": "raw", "container_format": "bare",
            "visibility": "private"})[0]
    print(" ".join(str(c) for c in at_once([one(i) for i in range(n)])))


def upload(url, token, image, seconds, what):
    chunked = what.startswith("chunked:")
    size = int(what.split(":")[-1])
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
    conn.putrequest("PUT", "/v2/images/%s/file" % image)
    conn.putheader("X-Auth-Token", token)
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Transfer-Encoding" if chunked else "Content-Length", "chunked" if chunked else str(size))
    conn.endheaders()
    steps = 10
    piece = size // steps
    try:
        for k in range(steps):
            n = piece if k < steps - 1 else size - piece * (steps - 1)
            data = b"\0" * n
            conn.send(b"%x\r\n%s\r\n" % (n, data) if chunked else data)
            time.sleep(seconds / steps)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # refused and closed: the answer says why
    try:
        r = conn.getresponse()
        r.read()
        return r.status
    except OSError:
        return 0


def uploads(token, seconds, what, urls, ids):
    jobs = [(lambda i=i, img=img: upload(urls[i % len(urls)], token, img, seconds, what)) for i, img in enumerate(ids)]
    print(" ".join(str(c) for c in at_once(jobs)))


def images(project, tok):
    out = []
    for hidden in ("false", "true"):
        url = os.environ["GLANCE_URL"] + "/v2/images?owner=%s&os_hidden=%s&limit=1000" % (project, hidden)
        _, _, b = call("GET", url, tok)
        out += json.loads(b)["images"]
    return out


def glance(project):
    imgs = images(project, admin())
    print(json.dumps({"count": len(imgs), "total": sum(i.get("size") or 0 for i in imgs),
                      "active": sum(i["status"] == "active" for i in imgs),
                      "statuses": sorted(i["status"] for i in imgs),
                      "markers": [i.get("scs_image_hook_upload") for i in imgs]}))


def clean(project):
    tok = admin()
    for i in images(project, tok):
        call("DELETE", os.environ["GLANCE_URL"] + "/v2/images/" + i["id"], tok)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(args)
    elif cmd == "creates":
        creates(int(args[0]), args[1], args[2:])
    elif cmd == "uploads":
        token, seconds, what = args[0], float(args[1]), args[2]
        urls = [a for a in args[3:] if a.startswith("http")]
        uploads(token, seconds, what, urls, [a for a in args[3:] if not a.startswith("http")])
    elif cmd == "glance":
        glance(args[0])
    elif cmd == "clean":
        clean(args[0])
    else:
        sys.exit(__doc__)
