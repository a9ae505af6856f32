"""The one list of Glance v2 controller actions that mutate an image in the
policy's sense: they create an image, or change its name, visibility,
os_hidden, properties, data or status. Names are
"<glance.api.v2 module>.<action>", as glance.api.v2.router maps them.

Every request that reaches one of these at Glance must carry a proxy
decision for exactly that action and image.
"""

import urllib.parse

MUTATING = {
    "images.create": "create",               # POST /v2/images
    "images.update": "patch",                # PATCH /v2/images/{id}
    "image_data.upload": "upload",           # PUT /v2/images/{id}/file
    "image_data.stage": "stage",             # PUT /v2/images/{id}/stage
    "images.import_image": "import",         # POST /v2/images/{id}/import
    "image_actions.deactivate": "deactivate",  # POST /v2/images/{id}/actions/deactivate (status)
    "image_actions.reactivate": "reactivate",  # POST /v2/images/{id}/actions/reactivate (status)
    "tasks.create": "task",                  # POST /v2/tasks: creates an image from a task
}

# Writes that are not mutations in that sense, and why (listed so that a
# new route is a conscious choice, not an omission):
#   images.delete, images.delete_from_store: remove an image or one of its
#     copies; nothing out of line can be left by them.
#   image_tags.update/delete: tags are not read by any SCS rule.
#   image_members.*: sharing; visibility itself is unchanged.
#   cached_images.*: the local cache of a node.
#   metadef_*: metadata definitions, not images.
#   tasks.delete: a task record.
NOT_MUTATING_WRITES = {
    "images.delete", "images.delete_from_store", "image_tags.update", "image_tags.delete",
    "image_members.create", "image_members.update", "image_members.delete",
    "cached_images.queue_image_from_api", "cached_images.delete_cache_entry", "cached_images.clear_cache",
    "tasks.delete",
}

# The proxy's decided route, as its decision record names or implies it.
# A record may carry "route" (any of the values of MUTATING); records of
# the proxy on main have none, and their method and path say it: the
# proxy decides POST /v2/images, PATCH, PUT .../file, PUT .../stage,
# POST .../import and nothing else.
ROUTES = set(MUTATING.values())


def decided_route(record):
    """The route a decision record decided, or None."""
    r = record.get("route")
    if r:
        return r
    method = record.get("method") or ""
    # decoded once, as the proxy's router reads it
    path = urllib.parse.unquote((record.get("path") or "").split("?", 1)[0]).rstrip("/")
    last = path.rsplit("/", 1)[-1]
    if method == "PATCH":
        return "patch"
    if method == "PUT":
        return {"file": "upload", "stage": "stage"}.get(last)
    if method == "POST":
        if last == "import":
            return "import"
        if last in ("deactivate", "reactivate"):
            return last
        if last == "tasks":
            return "task"
        return "create"
    return None


def decided_image(record):
    """The image id a decision record decided on, or None (a create)."""
    if record.get("image_id"):
        return record["image_id"]
    img = record.get("image") or {}
    return img.get("id")
