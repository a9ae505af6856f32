/* reply: answering the proxy's client, for exchange.c: the proxy's own
 * refusals in Glance's error shape (JSON or text, as the client accepts),
 * Glance's answer passed through or streamed, and the Warning a warn
 * mode adds. Internal to the proxy. */
#ifndef SCS_REPLY_H
#define SCS_REPLY_H

#include "io/exchange.h"

/* Answer status with message in Glance's error shape, and v's decision
 * record beside it when v has one. */
enum MHD_Result reply_error(struct exchange *ex, struct MHD_Connection *mc, int status, const char *message,
			    const struct verdict *v);
/* Queue r with Glance's status and headers (and the Warning, if any). */
enum MHD_Result reply_pass(struct exchange *ex, struct MHD_Connection *mc, struct MHD_Response *r);
/* Glance's answer, streamed to the client as it reads. */
enum MHD_Result reply_relay(struct exchange *ex, struct MHD_Connection *mc, const char *method);
/* Glance could not be reached or did not answer in time: 502 or 504. */
enum MHD_Result reply_upstream_failed(struct exchange *ex, struct MHD_Connection *mc);
/* The Warning: 299 the answer carries, from message. */
void reply_warning(struct exchange *ex, const char *message);

#endif
