#!/usr/bin/python3
"""A capture upstream that stands in for glance-api and parses every request
with Glance's own stack, from the Debian packages: eventlet's WSGI server
and HTTP parser (with glance-api's own server arguments), Debian's paste
pipeline (cors, healthcheck, http_proxy_to_wsgi, version negotiation,
osprofiler, context, the /v2 urlmap, glance.api.v2.router's Routes mapper)
and the routed resource's request deserializer. It stops right before the
controller would run: no database, no store. Instead it records which
controller action Glance would have run, on which image, and answers as
Glance would in shape (a plausible image for show/create/update, 204 for
data, 202 for import), so the proxy's reads and rechecks complete.

One JSON line per request goes to RECORDS (flushed at once).
Usage: capture.py PORT RECORDS
Must run under /usr/bin/python3 (Glance's interpreter and packages).
"""
import hashlib
import json
import os
import sys
import tempfile

import eventlet
import eventlet.wsgi
from oslo_config import cfg
from paste import deploy

import glance.common.config  # noqa: F401  registers Glance's options
import glance.context
from glance.api.middleware import context as gcontext
from glance.common import wsgi as gwsgi

import actions

PASTE = "/usr/share/glance-common/glance-api-paste.ini"
# The actions whose JSON body Glance's deserializer reads (kept to compare).
JSON_BODIES = ("images.create", "images.update", "images.import_image")
IMAGE_DEFAULTS = {
    "name": "diff-image", "disk_format": "raw", "container_format": "bare", "visibility": "private",
    "protected": False, "os_hidden": False, "status": "queued", "tags": [], "min_disk": 0, "min_ram": 0,
    "size": None, "virtual_size": None, "checksum": None, "os_hash_algo": None, "os_hash_value": None,
    "owner": "00000000000000000000000000000000", "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z", "file": None, "schema": "/v2/schemas/image",
}


# An image that was padded with properties at Glance directly (each PATCH
# small enough for the proxy): Glance's answers about it are larger than
# the proxy's recheck buffer (4 MiB), with fewer keys than its image parser
# accepts (1024).
PADDED = "9add0000-0000-4000-8000-000000000009"
PADDING = {"pad_%03d" % i: "x" * 4400 for i in range(1000)}


class Reached(BaseException):
    """Raised where Glance would call the controller: a BaseException, so
    that the Resource's `except Exception` (500) does not swallow it."""

    def __init__(self, resource, action, kwargs):
        super().__init__(action)
        self.resource, self.action, self.kwargs = resource, action, kwargs


_dispatch = gwsgi.Resource.dispatch


def dispatch(self, obj, action, *args, **kwargs):
    # RejectMethodController answers 405 itself: let it.
    if obj is self.controller and not isinstance(obj, gwsgi.RejectMethodController):
        raise Reached(self, action, kwargs)
    return _dispatch(self, obj, action, *args, **kwargs)


gwsgi.Resource.dispatch = dispatch


def admin_context(self, req):
    """The most privileged caller (authorisation is Glance's, with the
    caller's token): a policy check inside a deserializer, such as the
    tasks API's, must not hide which action a request routes to."""
    req.context = glance.context.RequestContext(user=None, tenant=None, roles=["admin", "member", "reader"],
                                                is_admin=True)


gcontext.UnauthenticatedContextMiddleware.process_request = admin_context


def configure():
    """Glance's options as tests/stack/up sets them (the versions the
    negotiation filter accepts depend on enabled_backends)."""
    conf = tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False)
    conf.write("[DEFAULT]\nenabled_backends = local:file, backup:file\n"
               "enabled_import_methods = [glance-direct,web-download,copy-image]\n"
               "[glance_store]\ndefault_backend = local\n"
               "[paste_deploy]\nflavor = keystone\n")
    conf.close()
    cfg.CONF(["--config-file", conf.name], project="glance", default_config_files=[])
    os.unlink(conf.name)
    # Debian's keystone pipeline, minus authtoken (no token validation
    # here: the proxy in front did that, and Glance's routing does not
    # depend on it); unauthenticated-context stands in for context.
    return deploy.loadapp("config:" + PASTE, name="glance-api")


def image(image_id, extra=None):
    img = dict(IMAGE_DEFAULTS, id=image_id, self="/v2/images/" + image_id)
    if image_id == PADDED:
        img.update(PADDING)
    for k, v in (extra or {}).items():
        if k not in ("id", "self", "schema", "file", "status"):
            img[k] = v
    return img


def answer(action, kwargs, match):
    """A plausible answer of Glance for this action, as (status, body)."""
    image_id = match.get("image_id") or kwargs.get("image_id") or "00000000-0000-4000-8000-000000000001"
    if action == "images.show":
        return 200, image(image_id)
    if action == "images.create":
        extra = dict(kwargs.get("extra_properties") or {})
        extra.update({k: v for k, v in (kwargs.get("image") or {}).items() if isinstance(v, (str, bool, int, list))})
        extra["tags"] = list(kwargs.get("tags") or [])
        return 201, image(str((kwargs.get("image") or {}).get("image_id") or image_id), extra)
    if action == "images.update":
        return 200, image(image_id)
    if action == "images.index":
        return 200, {"images": [], "schema": "/v2/schemas/images", "first": "/v2/images"}
    if action in ("image_data.upload", "image_data.stage", "images.delete", "image_actions.deactivate",
                  "image_actions.reactivate", "image_tags.update", "image_tags.delete"):
        return 204, None
    if action == "images.import_image":
        return 202, None
    if action == "tasks.create":
        return 201, {"id": "00000000-0000-4000-8000-00000000aaaa", "type": "import", "status": "pending"}
    return 200, {}


# What the policy reads of an image: the proxy's decision record shows
# the image it decided on in these terms.
VIEW_KEYS = ("name", "visibility", "os_hidden", "image_source", "os_distro", "os_version", "os_purpose")


def view_of(action, kwargs, image_id):
    """The image as Glance would hold it after a create or update, in the
    policy's terms (the update applied to the image show answers)."""
    if action == "images.create":
        img = dict(kwargs.get("image") or {})
        img.update(kwargs.get("extra_properties") or {})
        img.setdefault("visibility", "shared")
        img.setdefault("os_hidden", False)
    elif action == "images.update":
        img = image(image_id)
        for ch in kwargs.get("changes") or []:
            path = ch.get("path") or []
            if len(path) != 1:
                continue
            if ch.get("op") == "remove":
                img.pop(path[0], None)
            else:
                img[path[0]] = ch.get("value")
    else:
        return None
    return {k: jsonable(img.get(k)) for k in VIEW_KEYS}


def jsonable(v):
    return v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)[:200]


class Capture:
    def __init__(self, app, out):
        self.app, self.out, self.seq = app, out, 0

    def __call__(self, environ, start_response):
        self.seq += 1
        rec = {
            "seq": self.seq,
            "method": environ.get("REQUEST_METHOD"),
            "raw_path": environ.get("RAW_PATH_INFO"),
            "path": environ.get("PATH_INFO"),
            "query": environ.get("QUERY_STRING", ""),
            "request_id": environ.get("HTTP_X_OPENSTACK_REQUEST_ID"),
            "token": hashlib.sha256(environ.get("HTTP_X_AUTH_TOKEN", "").encode()).hexdigest()[:16],
            "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_") or k.startswith("CONTENT_")},
        }
        input_ = environ["wsgi.input"]
        try:
            status, headers, body = self.route(environ, rec)
        finally:
            rest = input_.read()   # what Glance would go on to read: the body it stores
            rec["body_len"] = rec.get("body_read", 0) + len(rest)
            self.out.write(json.dumps(rec) + "\n")
            self.out.flush()
        start_response(status, headers)
        return [body]

    def route(self, environ, rec):
        # The deserializer reads the JSON body: keep a copy to measure it.
        input_ = environ["wsgi.input"]
        chunks = []
        read = input_.read

        def tee(*a):
            b = read(*a)
            chunks.append(b)
            return b
        input_.read = tee
        try:
            resp = []
            status_headers = {}

            def sr(status, headers, exc_info=None):
                status_headers["s"], status_headers["h"] = status, headers
            it = self.app(environ, sr)
            resp = b"".join(it)
            rec["reached"] = None
            rec["glance_status"] = int(status_headers["s"].split()[0])
            return status_headers["s"], status_headers["h"], resp
        except Reached as r:
            ctrl = r.resource.controller
            action = "%s.%s" % (type(ctrl).__module__.rsplit(".", 1)[-1], r.action)
            match = environ.get("wsgiorg.routing_args", (None, {}))[1] or {}
            rec["reached"] = action
            rec["routed_method"] = environ.get("REQUEST_METHOD")
            rec["image_id"] = match.get("image_id")
            rec["args"] = {k: jsonable(v) for k, v in r.kwargs.items() if k != "data"}
            rec["view"] = view_of(action, r.kwargs, match.get("image_id"))
            code, body = answer(action, r.kwargs, match)
            rec["glance_status"] = code
            rec["answered_id"] = body.get("id") if isinstance(body, dict) else None
            data = json.dumps(body).encode() if body is not None else b""
            headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))),
                       ("x-openstack-request-id", rec["request_id"] or "req-none")]
            return "%d %s" % (code, {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}[code]), \
                headers, data
        finally:
            input_.read = read
            rec["body_read"] = sum(len(c) for c in chunks)
            if rec.get("reached") in JSON_BODIES and rec["body_read"] <= 65536:
                rec["json_body"] = b"".join(chunks).decode("latin-1")   # the bytes as Glance read them
            rec["mutating"] = rec.get("reached") in actions.MUTATING


def main():
    port, records = int(sys.argv[1]), sys.argv[2]
    app = configure()
    out = open(records, "a")
    sock = eventlet.listen(("127.0.0.1", port))
    # as glance.common.wsgi.Server.run_server starts it
    eventlet.wsgi.HttpProtocol.default_request_version = "HTTP/1.0"
    eventlet.wsgi.server(sock, Capture(app, out), log=open(os.devnull, "w"), debug=False,
                         keepalive=cfg.CONF.http_keepalive, socket_timeout=cfg.CONF.client_socket_timeout)


if __name__ == "__main__":
    main()
