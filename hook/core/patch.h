/* patch: apply a Glance JSON-patch document to an image, as Glance does,
 * so the proxy decides the image a PATCH would leave behind. Both media
 * types are read: openstack-images-v2.1-json-patch ({"op","path","value"})
 * and the older v2.0 ({"replace": "/name", "value"}). Pure: no I/O. */
#ifndef SCS_PATCH_H
#define SCS_PATCH_H

#include <jansson.h>
#include <stddef.h>

enum patch_format { PATCH_V20, PATCH_V21 };

/* The format named by a Content-Type header; -1 for any other type. */
int patch_format_of(const char *content_type);

/* The media types Glance accepts, for an Accept-Patch header. */
#define PATCH_ACCEPT "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch"

/* How the proxy writes a JSON body it forwards to Glance (a patch, a new
 * image, an import): from its own parse, compact and ASCII only (\u
 * escapes), so Glance reads the characters that were decided on and none
 * of the client's spelling. */
#define PATCH_SENT_JSON (JSON_COMPACT | JSON_ENSURE_ASCII)

/* Apply body to image (an object in Glance's shape). 0; 1 when it also
 * changes the image's locations, which it leaves as they are (they give
 * an image data the proxy never sees); or -1 with the reason in err when
 * the document is not one Glance would accept. sent (when not NULL): the
 * operations applied, as the proxy forwards them (PATCH_SENT_JSON;
 * malloc'd, the caller frees), on success only. */
int patch_apply(json_t *image, const char *body, size_t len, enum patch_format f, char **sent, char *err,
		size_t errlen);

/* sent (operations as patch_apply hands them back) with one more that
 * adds the property key (a plain name) with value, in format f: a new
 * string (PATCH_SENT_JSON), or NULL when sent is not such a list. */
char *patch_sent_with(const char *sent, enum patch_format f, const char *key, const char *value);

#endif
