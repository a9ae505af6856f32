#!/usr/bin/python3
"""The differential test: send generated requests through the proxy to the
capture upstream (capture.py, Glance's own parsing stack) and check that
every request that reached a mutating image action at Glance carries a
decision for exactly that action and image in the proxy's decision log.

Prints one line per class: "PASS class: ..." or "FAIL class: ...", each
failure followed by its offending examples (the request bytes, the action
Glance ran, why no decision matched), then a "SUMMARY ..." line.

Usage: diff.py PROXY_URL CAPTURE_URL CAPTURE_RECORDS DECISION_LOG TOKEN
Environment: DIFF_CASES (random combinations on top of the edges, default
0), DIFF_SEED (default 1), DIFF_CORPUS (the route fuzz corpus directory),
DIFF_EXAMPLES (examples printed per failing class, default 5), DIFF_ONLY
(only the classes whose name contains it), DIFF_WORKERS (default 8).
"""
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import socket
import sys
import time
import urllib.parse

import actions
import generate as g

proxy_url, capture_url, capture_records, decision_log, token = sys.argv[1:6]
CASES = int(os.environ.get("DIFF_CASES", "0"))
SEED = int(os.environ.get("DIFF_SEED", "1"))
CORPUS = os.environ.get("DIFF_CORPUS", "")
EXAMPLES = int(os.environ.get("DIFF_EXAMPLES", "5"))
ONLY = os.environ.get("DIFF_ONLY", "")       # only the classes whose name contains this
WORKERS = int(os.environ.get("DIFF_WORKERS", "8"))
TOKEN_HASH = hashlib.sha256(token.encode()).hexdigest()[:16]
CONTROL_AROUND = "control: a request around the proxy is a finding"
CONTROL_CANON = "control: canonical requests reach Glance decided"


def send(url, data, timeout=3.0):
    """Send bytes on one connection, half-close, read the answer; returns
    the first status line (or what went wrong)."""
    u = urllib.parse.urlsplit(url)
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=timeout)
    except OSError as e:
        return "connect: %s" % e
    got = b""
    try:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except OSError as e:
        got += (" [%s]" % e).encode()
    finally:
        s.close()
    return got.split(b"\r\n", 1)[0].decode("latin-1")[:80] or "(no answer)"


def read_jsonl(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def cases():
    gens = [g.method_cases(), g.path_cases(), g.override_cases(), g.header_cases(), g.smuggle_cases(),
            g.body_cases(), g.body_parse_cases(), g.recheck_cases(), g.corpus_cases(CORPUS), g.random_cases(CASES, SEED)]
    for gen in gens:
        yield from gen


def main():
    plan = [(CONTROL_CANON, "%s %s" % (m, p), g.route_req(m, p, c, b)) for m, p, c, b in g.MUTATING_ROUTES
            if (m, p) in (("POST", "/v2/images"), ("PATCH", "/v2/images/{id}"),
                          ("PUT", "/v2/images/{id}/file"), ("PUT", "/v2/images/{id}/stage"),
                          ("POST", "/v2/images/{id}/import"))]
    plan.insert(0, (CONTROL_AROUND, "POST /v2/images straight to Glance",
                    g.route_req("POST", "/v2/images", "application/json", g.CREATE)))
    plan += [c for c in cases() if ONLY in c[0]]
    t0 = time.time()

    def one(n):
        cls, name, req = plan[n]
        data = req.render(token, n)
        t = time.time()
        answer = send(capture_url if cls == CONTROL_AROUND else proxy_url, data)
        return cls, name, data, answer, time.time() - t
    # Cases are told apart by their request ids, not by order: a few at
    # once, so that the ones the proxy leaves waiting do not add up.
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        sent = list(pool.map(one, range(len(plan))))
    time.sleep(1.0)    # smuggled requests are parsed after the answer to the one carrying them
    elapsed = time.time() - t0
    captured = read_jsonl(capture_records)
    decisions = read_jsonl(decision_log)
    check(plan, sent, captured, decisions, elapsed)


def check(plan, sent, captured, decisions, elapsed):
    by_request = collections.defaultdict(list)
    for d in decisions:
        by_request[d.get("request_id")].append(d)
    used = set()
    findings = collections.defaultdict(list)
    reached = collections.Counter()
    unattributed = []
    own = 0
    hides = {c.get("image_id") for c in captured if own_request(c) and c.get("reached") == "images.update"
             and "os_hidden" in str(c.get("args", {}).get("changes"))}
    for c in captured:
        if not c.get("mutating"):
            continue
        if own_request(c):
            own += 1          # the proxy hiding an image with its own token
            continue
        n = g.case_of(c.get("request_id"))
        if n is None or n >= len(plan):
            unattributed.append(c)
            continue
        cls = plan[n][0]
        reached[cls] += 1
        why = unmatched(c, by_request.get(c.get("request_id"), []), used)
        if not why and c.get("request_id") == g.rid(n):
            # only the case's first request: the answer read is the first on the connection
            why = unrechecked(c, sent[n][3], hides)
        if why:
            findings[cls].append((n, c, why))
    for c in unattributed:
        # an id no case sent (the proxy may make its own): a decision must still cover it
        why = unmatched(c, by_request.get(c.get("request_id"), []), used)
        if why:
            findings["unattributed"].append((None, c, "request id %r, which no case sent: %s"
                                             % (c.get("request_id"), why)))
    counts = collections.Counter(cls for cls, _, _ in plan)
    total = 0
    for cls in list(dict.fromkeys([p[0] for p in plan])) + (["unattributed"] if findings["unattributed"] else []):
        fs = findings.get(cls, [])
        total += len(fs) if cls != CONTROL_AROUND else 0
        if cls == CONTROL_AROUND:
            ok = len(fs) == 1
            print("%s %s: %s" % ("PASS" if ok else "FAIL", cls,
                                 "the checker flagged it" if ok else "the checker did not flag it (%d)" % len(fs)))
            continue
        if cls == CONTROL_CANON and reached[cls] < counts[cls]:
            fs = fs + [(None, {}, "only %d of %d canonical requests reached the capture upstream"
                        % (reached[cls], counts[cls]))]
        # the findings no known class explains first: they are the news
        fs.sort(key=lambda f: f[0] is None or known_class(sent[f[0]][2], f[1], f[2]) != "unexplained")
        status = "PASS" if not fs else "FAIL"
        print("%s %s: %d cases, %d reached a mutating action at Glance, %d without a matching decision"
              % (status, cls, counts.get(cls, 0), reached[cls], len(fs)))
        for n, c, why in fs[:EXAMPLES]:
            print("     - %s" % (plan[n][1] if n is not None else "(no case)"))
            if n is not None:
                print("       request: %s" % shorten(sent[n][2]))
                print("       proxy answered: %s" % sent[n][3])
            if c:
                print("       Glance ran: %s on image %s (%s %s%s%s)" % (
                    c.get("reached"), c.get("image_id"), c.get("routed_method"), c.get("path"),
                    "?" if c.get("query") else "", c.get("query") or ""))
            print("       why: %s" % why)
        if len(fs) > EXAMPLES:
            print("     ... and %d more" % (len(fs) - EXAMPLES))
        if fs:
            tally = collections.Counter(known_class(sent[n][2], c, why) if n is not None else "no case"
                                        for n, c, why in fs)
            print("     by kind: " + ", ".join("%s %d" % kv for kv in tally.most_common()))
    sent_as_parsed(plan, captured)
    slow = sorted(sent, key=lambda x: -x[4])[:3]
    print("slowest: " + "; ".join("%.1fs %s" % (x[4], x[1]) for x in slow))
    print("SUMMARY cases=%d reached_mutating=%d findings=%d proxy_own_requests=%d seconds=%.1f"
          % (len(plan), sum(reached.values()), total, own, elapsed))


# A JSON string, or white space outside one.
JSON_TOKEN_SPACE = re.compile(r'"(?:[^"\\]|\\.)*"|(\s)')


def proxy_written(body):
    """Compact ASCII JSON, as the proxy writes a body it forwards from its
    own parse (PATCH_SENT_JSON); a client's spelling rarely is."""
    try:
        body.encode("ascii")
    except UnicodeEncodeError:
        return False
    return not any(m.group(1) for m in JSON_TOKEN_SPACE.finditer(body))


def sent_as_parsed(plan, captured):
    """Every JSON body Glance read through the proxy is the proxy's own
    writing, not the client's bytes; the one sent around the proxy (in
    json.dumps' spelling, with spaces) must be told apart, or the check
    could not fail."""
    through, bad, control = 0, [], None
    for c in captured:
        if c.get("json_body") is None or own_request(c):
            continue
        n = g.case_of(c.get("request_id"))
        if n is not None and n < len(plan) and plan[n][0] == CONTROL_AROUND:
            control = proxy_written(c["json_body"])
            continue
        through += 1
        if not proxy_written(c["json_body"]):
            bad.append(c)
    ok = not bad and control is False and through > 0
    print("%s sent as parsed: %d JSON bodies Glance read through the proxy, %d not in the proxy's writing; "
          "the one around it %s" % ("PASS" if ok else "FAIL", through, len(bad),
                                    "told apart" if control is False else "NOT told apart" if control else "missing"))
    for c in bad[:EXAMPLES]:
        print("     - %s %s: %s" % (c.get("method"), c.get("path"), shorten(c["json_body"].encode("latin-1"))))


def unrechecked(c, answer, hides):
    """Glance made or changed the image, and the client did not get Glance's
    answer (so the recheck did not pass it): the image must have been hidden."""
    if c["reached"] not in ("images.create", "images.update") or not 200 <= c.get("glance_status", 0) < 300:
        return None
    if answer.startswith("HTTP/1.1 2") or answer.startswith("HTTP/1.0 2"):
        return None
    image = c.get("image_id") or c.get("answered_id")
    if image in hides:
        return None
    return ("Glance ran it (%d), the proxy answered %r without passing Glance's answer and did not hide image %s: "
            "the recheck failed open" % (c["glance_status"], answer, image))


def known_class(data, c, why=""):
    """Which class of the issue's list a finding belongs to, judged from the
    request's bytes and what Glance ran (for the campaign's tally)."""
    head = data.split(b"\r\n\r\n", 1)[0]
    words = head.split(b"\r\n", 1)[0].split()
    target = words[1] if len(words) >= 2 else b""
    if "recheck failed open" in why:
        return "recheck fails open"
    if "another image" in why:
        return "body read differently"
    if c.get("request_id") != g.rid(g.case_of(c.get("request_id")) or 0) and g.case_of(c.get("request_id")):
        return "smuggled second request"
    if b"_method" in target.lower() or b"%5fmethod" in target.lower():
        return "_method in the query"
    if b"#" in target:
        return "fragment"
    if c.get("reached") in ("image_actions.deactivate", "image_actions.reactivate"):
        return "deactivate/reactivate undecided"
    if words and words[0].upper() in (b"GET", b"HEAD") and c.get("routed_method") == "PUT":
        return "GET/HEAD with a body sent as PUT"
    if b"x_auth_token" in head.lower():
        return "X_Auth_Token underscore twin"
    return "unexplained"


def own_request(c):
    h = c.get("headers", {})
    return h.get("HTTP_USER_AGENT", "").startswith("scs-image-hook") and g.case_of(c.get("request_id")) is None


def unmatched(c, candidates, used):
    """Why no decision covers this request at Glance, or None when one does
    (and is then used up: one decision covers one request)."""
    want = actions.MUTATING[c["reached"]]
    if not candidates:
        return "no decision carries its request id %s" % c.get("request_id")
    reasons = []
    for d in candidates:
        if d.get("decision_id") in used:
            reasons.append("decision %s already covers another request" % d.get("decision_id"))
            continue
        route = actions.decided_route(d)
        if route != want:
            reasons.append("the decision (%s %s) was for %s, Glance ran %s" % (d.get("method"), d.get("path"),
                                                                              route, c["reached"]))
            continue
        if want not in ("create", "task") and actions.decided_image(d) != c.get("image_id"):
            reasons.append("the decision was for image %s, Glance ran it on %s" % (actions.decided_image(d),
                                                                                  c.get("image_id")))
            continue
        if d.get("decision") == "deny" and d.get("mode") != "dry-run":
            reasons.append("the decision denied it, yet Glance ran it")
            continue
        differs = view_differs(d, c)
        if differs:
            reasons.append(differs)
            continue
        used.add(d.get("decision_id"))
        if c.get("token") != TOKEN_HASH:
            return "the decision was taken on the caller's token, Glance ran it with another X-Auth-Token"
        return None
    return "; ".join(reasons)


def view_differs(d, c):
    """The image the proxy decided on against the one Glance would hold
    (creates and updates; records without an image are not compared)."""
    view, img = c.get("view"), d.get("image")
    if not view or not isinstance(img, dict):
        return None
    diff = ["%s: decided %r, Glance %r" % (k, img.get(k), v) for k, v in view.items() if k in img and img[k] != v]
    return "the decision saw another image than Glance (%s)" % "; ".join(diff) if diff else None


def shorten(data, limit=700):
    r = repr(data)[2:-1]
    return r if len(r) <= limit else r[:limit] + "...(%d bytes)" % len(data)


if __name__ == "__main__":
    main()
