/* cmd_proxy: `scs-image-hook proxy`: load the config, start the admission
 * proxy, and wait for signals (TERM/INT stop it, HUP reopens the log). */
#include "cmd/cli.h"
#include "core/plan.h"
#include "io/creds.h"
#include "io/log.h"
#include "io/keystone.h"
#include "io/opconf.h"
#include "io/pgp.h"
#include "io/tls.h"
#include "core/projects.h"
#include "io/proxy.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char proxy_usage[] =
"usage: scs-image-hook proxy [--config FILE] [--check [--write-probe]]\n"
"\n"
"Admission proxy in front of glance-api. Decides every request that creates\n"
"or changes an image (POST /v2/images, PATCH /v2/images/ID, PUT .../file and\n"
".../stage, POST .../import) against the SCS image policy; streams every\n"
"other request to Glance untouched. Refusals come back in Glance's error\n"
"shape, so `openstack image create` prints the reason; warn mode admits\n"
"with a `Warning: 299` header; every decision is one JSON line in the log.\n"
"\n"
"  -c, --config FILE   operator config (default: $SCS_IMAGE_HOOK_CONFIG or\n"
"                      /etc/scs-image-hook/scs-image-hook.yaml)\n"
"      --check         load and check the config and the policy, prove the\n"
"                      service credentials (Keystone: authenticate, the role\n"
"                      service or admin to validate tokens; Glance: admin),\n"
"                      then exit; start and reload prove them too\n"
"      --write-probe   with --check: also create, upload to, deactivate and\n"
"                      delete a throwaway image as the service user\n"
"  -h, --help          show this help\n"
"\n"
"The config holds the policy keys (policy, mode, visibility, exemptions,\n"
"import: {download_uri: prefix|equal|off}; docs/policy-files.md) and:\n"
"  listen: 127.0.0.1:9393          where clients connect (point the image\n"
"                                  endpoint or the load balancer here)\n"
"  admin_listen: 127.0.0.1:9394    GET /healthz, /readyz, /metrics\n"
"  upstream: http://127.0.0.1:9292 glance-api\n"
"  keystone: {cloud: NAME}         the hook's own credentials, to validate\n"
"                                  callers' tokens (or auth_url, username,\n"
"                                  password, project_name, ...); token_cache: 300s\n"
"  log: {file: PATH}               the decision log (default: stderr)\n"
"  failure_policy: closed          closed: 503 when Keystone or Glance cannot\n"
"                                  answer a decision; open: admit and log\n"
"  timeouts: {connect: 5s, upstream: 300s, decision: 10s, client: 300s}\n"
"  limits: {max_connections: 1000}\n"
"  trusted_fronts: [10.0.0.0/24]    load balancers whose X-Forwarded-* and\n"
"                                  Forwarded are sent on (others' removed)\n"
"  tls: {certificate: PEM, key: PEM, client_ca: PEM}  the listener's TLS\n"
"  quota: {default: {max_image_size: 50GiB, max_images: 100,\n"
"          max_total_size: 500GiB, uploads_per_window: {count: 20, window: 24h},\n"
"          max_concurrent_uploads: 2}, projects: {NAME: {...}},\n"
"          exempt: [{project: NAME, reason: ..., expires: YYYY-MM-DD}]}\n"
"                                  fair use per project, on usage read from\n"
"                                  Glance; refusals are 413 (docs/quotas.md)\n"
"Every key: man 5 scs-image-hook.yaml.\n"
"\n"
"Admin listener: GET /healthz (liveness), GET /readyz (this node's Glance\n"
"answers its /healthcheck; for the load balancer), GET /metrics (Prometheus).\n"
"Signals: TERM or INT stop; HUP reads the config again as at start (a file\n"
"the proxy could not start with keeps the old policy, and says why on stderr;\n"
"changed service keys wait for a restart) and reopens the log (logrotate).\n";

static int parse_opts(int argc, char **argv, const char **config, int *check_only, int *write_probe)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "write-probe", no_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': *config = optarg; break;
		case 'k': *check_only = 1; break;
		case 'w': *write_probe = 1; break;
		case 'h': fputs(proxy_usage, stdout); return 1;
		default: fputs(proxy_usage, stderr); return -1;
		}
	}
	if (optind < argc) {
		cli_error("proxy takes no arguments ('%s'); see --help", argv[optind]);
		return -1;
	}
	if (*write_probe && !*check_only) {
		cli_error("--write-probe goes with --check (never at start or reload)");
		return -1;
	}
	return 0;
}

/* The one reading of the config the proxy runs on: at start, for --check
 * and on SIGHUP, so that a reload takes exactly what a start would take:
 * the file, then the project names it holds resolved to ids with the
 * hook's credentials of that same file (names are never compared with a
 * token's). The service credentials are proven first (creds.c). NULL,
 * with the reason in err, when the proxy could not start with the file. */
static struct policy *read_config(const char *path, int write_probe, struct config *c, char *err, size_t errlen)
{
	struct policy *p = policy_new();

	if (opconf_load(path, OPCONF_PROXY, p, c, err, errlen) == 0 && policy_finish(p, err, errlen) == 0 &&
	    plan_check(p, cli_today(NULL), err, errlen) == 0 && creds_check(c, write_probe, err, errlen) == 0 &&
	    cli_resolve_projects(c, p, err, errlen) == 0)
		return p;
	config_free(c);
	policy_free(p);
	return NULL;
}

/* Each key an origin accepts that origin.keyring lacks, named on stderr:
 * until the operator installs it, every image under that origin is
 * refused (origin/signature), so the config works, but not yet as meant. */
static void keys_to_install(const struct policy *p)
{
	char err[512];
	struct pgp *k = NULL;

	if (!p->origin.keyring)
		return;
	for (size_t i = 0; i < p->origins.n; i++) {
		const struct origin *o = &p->origins.o[i];
		for (size_t j = 0; j < o->n_keys; j++) {
			if (!k && !(k = pgp_load(p->origin.keyring, err, sizeof(err)))) {
				cli_error("origin.keyring: %s: install there the vendors' keys that %s names "
					  "(gpg --export FINGERPRINT... >%s; docs/origin.md)", err, o->file, p->origin.keyring);
				return;
			}
			if (!pgp_has_key(k, o->keys[j]))
				cli_error("origin.keyring %s lacks the key %s that signs the lists of %s (%s:%u): "
					  "install it (gpg --export %s >>%s); until then images under it are refused",
					  p->origin.keyring, o->keys[j], o->prefix, o->file, o->line, o->keys[j],
					  p->origin.keyring);
		}
	}
	pgp_free(k);
}

static int load(struct proxy *px, const char *config, int write_probe)
{
	char err[2048];

	if (!config)
		config = cli_default_config();
	struct policy *p = read_config(config, write_probe, &px->cfg, err, sizeof(err));
	if (!p) {
		cli_error("%s", err);
		return -1;
	}
	px->config_path = config;
	keys_to_install(p);
	if (admit_policy_install(&px->admit, p, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		policy_free(p);
		return -1;
	}
	if (!(px->admit.log = dlog_open(px->cfg.log_file, px->cfg.log_anchor, err, sizeof(err)))) {
		cli_error("%s", err);
		return -1;
	}
	return 0;
}

/* Block the signals in every thread; the main thread takes them with sigwait. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* SIGHUP: the config is read as at start; the new policy takes effect
 * for the next decision. A file the proxy could not start with keeps the
 * old config in force, and says why. Listeners and clients stay as they
 * are: a change to the service keys is named and waits for a restart. */
static void reload(struct proxy *px)
{
	struct config c;
	char err[2048], changed[256];

	if (dlog_reopen(px->admit.log, err, sizeof(err)) < 0)
		cli_error("%s (still writing to the old file)", err);
	/* new connections get the certificate now in the files; open ones keep theirs */
	if (px->cfg.tls_cert && tls_load(px->cfg.tls_cert, px->cfg.tls_key, err, sizeof(err)) < 0)
		cli_error("%s (new connections still get the old certificate)", err);
	else if (px->cfg.tls_cert)
		fprintf(stderr, "scs-image-hook proxy: TLS certificate reloaded from %s\n", px->cfg.tls_cert);
	struct policy *p = read_config(px->config_path, 0, &c, err, sizeof(err));
	if (!p) {
		atomic_fetch_add(&px->metrics.reload_failures, 1);
		cli_error("reload refused: keeping the policy in force: %s", err);
		return;
	}
	if (config_changes(&px->cfg, &c, changed, sizeof(changed)))
		cli_error("reload: %s changed in %s; the running proxy keeps the old values until it is restarted",
			  changed, px->config_path);
	config_free(&c);
	keys_to_install(p);
	if (admit_policy_install(&px->admit, p, err, sizeof(err)) < 0) {
		atomic_fetch_add(&px->metrics.reload_failures, 1);
		cli_error("reload refused: keeping the policy in force: %s", err);
		policy_free(p);
		return;
	}
	atomic_fetch_add(&px->metrics.reloads, 1);
	fprintf(stderr, "scs-image-hook proxy: policy reloaded: mode %s, policy sha256 %s\n", mode_name(p->mode),
		p->sha256);
}

static void serve(struct proxy *px, const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) == 0 && sig == SIGHUP)
		reload(px);
}

int cmd_proxy(int argc, char **argv)
{
	struct proxy px = { .admit = { .policy_lock = PTHREAD_MUTEX_INITIALIZER, .service_lock = PTHREAD_MUTEX_INITIALIZER } };
	const char *config = NULL;
	int check_only = 0, write_probe = 0, rc = parse_opts(argc, argv, &config, &check_only, &write_probe);
	char err[512];
	sigset_t set;

	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	if (load(&px, config, write_probe) < 0) {
		rc = EXIT_USAGE;
	} else if (check_only) {
		printf("%s: config and policy are valid, mode %s (policy sha256 %s)%s\n", px.cfg.path,
		       mode_name(px.admit.hold->p->mode), px.admit.hold->p->sha256,
		       !px.cfg.has_keystone ? "" : write_probe ? "; service credentials proven, writes included"
							       : "; service credentials proven");
	} else {
		block_signals(&set);
		if (proxy_start(&px, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			rc = EXIT_USAGE;
		} else {
			fprintf(stderr, "scs-image-hook proxy: listening on %s:%u%s, upstream %s, mode %s, policy sha256 %s, "
				"failure policy %s%s\n", px.cfg.listen.host ? px.cfg.listen.host : "*", px.cfg.listen.port,
				px.cfg.tls_cert ? " (TLS)" : "", px.cfg.upstream, mode_name(px.admit.hold->p->mode), px.admit.hold->p->sha256,
				failure_policy_name(px.cfg.failure),
				px.cfg.has_keystone ? "" : " (no keystone: callers are not identified)");
			serve(&px, &set);
			proxy_stop(&px);
		}
	}
	dlog_close(px.admit.log);
	admit_policy_uninstall(&px.admit);
	config_free(&px.cfg);
	return rc;
}
