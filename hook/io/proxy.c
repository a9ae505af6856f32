/* proxy: the HTTP server of the admission proxy. libmicrohttpd runs a
 * thread per client connection; this file owns the listeners, starting
 * and stopping them, and each connection's state, and hands each request
 * to exchange.c, which checks, decides and forwards it (the request's
 * life is there, its answers in reply.c). The admin listener's answers
 * are admin.c's. */
#include "io/proxy.h"
#include "io/admin.h"
#include "io/exchange.h"
#include "io/tls.h"
#include "core/record.h"
#include "core/tokens.h"
#include "io/upstream.h"
#include "core/util.h"

#include <malloc.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONN_MEMORY (256u << 10)    /* MHD's read buffer: the size of upload chunks */
#define STOP_GRACE_MS 10000         /* SIGTERM: how long requests in flight may finish */

/* ---- per connection ----------------------------------------------------- */

/* A connection's state (struct conn, exchange.h) is made when it opens and
 * kept as its socket context, which every request on it is given. */
static struct conn *conn_new(struct proxy *px)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	char err[256];

	if (http_init(&c->a.http, px->cfg.auth.verify || !px->cfg.has_keystone, px->cfg.auth.cacert, err,
		      sizeof(err)) < 0 || !(c->up = upstream_new()) || !(c->a.rec = recorder_new())) {
		http_cleanup(&c->a.http);
		upstream_free(c->up);
		free(c);
		return NULL;
	}
	c->a.http.timeout_ms = px->cfg.decision_timeout_ms;
	c->a.http.connect_timeout_ms = px->cfg.connect_timeout_ms;
	return c;
}

static void conn_free(struct conn *c)
{
	if (!c)
		return;
	http_cleanup(&c->a.http);
	upstream_free(c->up);
	recorder_free(c->a.rec);
	buf_release(&c->a.held);
	free(c->a.user_agent);
	free(c);
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_ctx,
			  enum MHD_ConnectionNotificationCode code)
{
	struct proxy *px = cls;
	(void)mc;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_ctx = conn_new(px);
		atomic_fetch_add(&px->metrics.connections, 1);
	} else {
		conn_free(*socket_ctx);
		*socket_ctx = NULL;
		/* the last connection gone: give the per-thread malloc arenas back */
		if (atomic_fetch_sub(&px->metrics.connections, 1) == 1)
			malloc_trim(0);
	}
}

static struct conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* ---- the access handler --------------------------------------------------- */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_size,
				  void **req_ctx)
{
	struct exchange *ex = *req_ctx;
	(void)cls;
	(void)url;
	(void)version;

	if (!ex)
		return MHD_NO;
	if (!ex->started) {
		ex->started = 1;
		return exchange_begin(ex, conn_of(mc), mc, method);
	}
	if (ex->answered) {
		*upload_size = 0;           /* the answer is out: the rest of the body is dropped */
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		return exchange_body(ex, upload_data, n);
	}
	return exchange_finish(ex, mc, method);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	(void)mc;
	return exchange_new(cls, uri);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_ctx,
			 enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)mc;
	(void)code;
	exchange_free(*req_ctx);
	*req_ctx = NULL;
}

/* ---- start and stop -------------------------------------------------------- */

static int resolve(const struct listen_addr *a, struct sockaddr_storage *out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res;
	char port[8];

	snprintf(port, sizeof(port), "%u", a->port);
	int rc = getaddrinfo(a->host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "cannot resolve listen address %s: %s", a->host ? a->host : "*", gai_strerror(rc));
		return -1;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static struct MHD_Daemon *listen_on(const struct listen_addr *a, unsigned flags, MHD_AccessHandlerCallback fn,
				    void *cls, struct MHD_OptionItem *opts, char *err, size_t errlen)
{
	struct sockaddr_storage sa;

	if (resolve(a, &sa, err, errlen) < 0)
		return NULL;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)a->port, NULL, NULL, fn, cls, MHD_OPTION_SOCK_ADDR,
						(struct sockaddr *)&sa, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot listen on %s:%u (in use, or not an address of this host?)",
			 a->host ? a->host : "*", a->port);
	return d;
}

/* The listener's TLS: the certificate handed out by tls.c (replaced on
 * SIGHUP), and the client CA when clients must present certificates. The
 * options are added before opts' end (room is kept there). */
static int proxy_tls(struct proxy *px, struct MHD_OptionItem *opts, unsigned *flags, char *err, size_t errlen)
{
	const struct config *c = &px->cfg;
	size_t n = 0;

	if (tls_load(c->tls_cert, c->tls_key, err, errlen) < 0)
		return -1;
	while (opts[n].option != MHD_OPTION_END)
		n++;
	/* libmicrohttpd reads this option of an array from ptr_value */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)tls_pick };
	if (c->tls_client_ca) {
		size_t len;
		if (!(px->client_ca = file_read(c->tls_client_ca, 1u << 20, &len, err, errlen)))
			return -1;
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, px->client_ca };
	}
	opts[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	*flags = MHD_USE_TLS;
	return 0;
}

int proxy_start(struct proxy *px, char *err, size_t errlen)
{
	const struct config *c = &px->cfg;
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, px },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, px },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, px },
		/* headroom above the limit, to answer 503 rather than drop */
		{ MHD_OPTION_CONNECTION_LIMIT, c->max_connections + 64, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)(c->client_timeout_ms / 1000), NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY, NULL },
		{ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL },
		{ MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL },       /* room for the TLS options (proxy_tls) */
		{ MHD_OPTION_END, 0, NULL },
	};
	struct MHD_OptionItem admin_opts[] = { { MHD_OPTION_END, 0, NULL } };
	unsigned tls = 0;

	/* A thread per connection would otherwise get up to 8 malloc arenas per
	 * core, whose fragments malloc_trim cannot return after a load peak. */
	mallopt(M_ARENA_MAX, 4);
	px->admit.cfg = &px->cfg;
	px->admit.metrics = &px->metrics;
	if (c->tls_cert && proxy_tls(px, opts, &tls, err, errlen) < 0)
		return -1;
	px->admit.tokens = token_cache_new(4096);
	atomic_store(&px->metrics.keystone_up, (unsigned)c->has_keystone);    /* proven at start (creds.c) */
	px->daemon = listen_on(&c->listen, MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC |
				MHD_USE_ERROR_LOG | tls, on_request, px, opts, err, errlen);
	if (!px->daemon)
		return -1;
	if (c->admin.port) {
		px->admin = listen_on(&c->admin, MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, admin_answer, px,
				      admin_opts, err, errlen);
		if (!px->admin) {
			proxy_stop(px);
			return -1;
		}
	}
	return 0;
}

/* Stop taking connections, let requests in flight finish for a grace
 * period, then end what is left: an unfinished upload to Glance is
 * aborted, so no image becomes active with part of its data. */
void proxy_stop(struct proxy *px)
{
	if (px->daemon) {
		MHD_socket s = MHD_quiesce_daemon(px->daemon);
		if (s != MHD_INVALID_SOCKET)
			close(s);
		for (long waited = 0; px->metrics.in_flight > 0 && waited < STOP_GRACE_MS; waited += 50)
			usleep(50 * 1000);
		upstream_shutdown();
		MHD_stop_daemon(px->daemon);
	}
	if (px->admin)
		MHD_stop_daemon(px->admin);
	px->daemon = px->admin = NULL;
	token_cache_free(px->admit.tokens);
	px->admit.tokens = NULL;
	free(px->admit.service_token);
	px->admit.service_token = NULL;
	free(px->client_ca);
	px->client_ca = NULL;
	tls_free();
}
