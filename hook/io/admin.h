/* admin: the proxy's admin listener, for operators and monitoring:
 * /healthz (liveness), /readyz (this node's Glance answers) and /metrics
 * (Prometheus text). */
#ifndef SCS_ADMIN_H
#define SCS_ADMIN_H

#include <microhttpd.h>
#include <stddef.h>

/* libmicrohttpd's access handler for the admin listener; cls is the
 * struct proxy whose counters it shows. */
enum MHD_Result admin_answer(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
			     const char *version, const char *upload_data, size_t *upload_size, void **req_ctx);

#endif
