/* accept: the shape of an error answer for a request's Accept field,
 * chosen as Glance's webob chooses it (text/html, application/json or
 * text/plain). Pure: no I/O. */
#ifndef SCS_ACCEPT_H
#define SCS_ACCEPT_H

#include <stddef.h>

enum accept_shape { ACCEPT_HTML, ACCEPT_JSON, ACCEPT_PLAIN };

/* value[0..len) is the Accept field's value; NULL: the request had none. */
enum accept_shape accept_shape(const char *value, size_t len);

#endif
