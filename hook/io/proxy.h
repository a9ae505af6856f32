/* proxy: the admission proxy in front of glance-api. proxy.c serves HTTP
 * (libmicrohttpd, a thread per connection); exchange.c carries each
 * request through and streams it to Glance (upstream.c); admit.c decides
 * the requests that create or change an image; cmd_proxy.c starts it all.
 * This is the interface cmd_proxy.c uses; exchange.h is the proxy's own. */
#ifndef SCS_PROXY_H
#define SCS_PROXY_H

#include <stddef.h>

#include "io/admit.h"
#include "io/config.h"
#include "io/metrics.h"
#include "core/policy.h"
#include "core/route.h"

#define PROXY_MAX_JSON_BODY (64u << 10)     /* POST/PATCH bodies are buffered up to this */

struct proxy {
	struct config cfg;
	const char *config_path;
	struct admit admit;                 /* the decisions (admit.h) */
	struct metrics metrics;

	void *daemon, *admin;               /* struct MHD_Daemon * */
	char *client_ca;                    /* tls.client_ca's PEM, while the listener lives */
};

int proxy_start(struct proxy *px, char *err, size_t errlen);
void proxy_stop(struct proxy *px);

#endif
