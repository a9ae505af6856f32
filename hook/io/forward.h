/* forward: the request to Glance, built from what the proxy parsed and
 * started on the connection's exchange with Glance. Internal to the proxy. */
#ifndef SCS_FORWARD_H
#define SCS_FORWARD_H

#include "io/exchange.h"

/* ex's URL and header lines to Glance, from its route and kept fields. */
void forward_build(struct exchange *ex);
/* Start the request to Glance with its body sent as mode says; Glance
 * unreachable is answered here (502/504). */
enum MHD_Result forward_start(struct exchange *ex, struct MHD_Connection *mc, const char *method, enum body_mode mode);

#endif
