/* sync: keep the standard images current. For each image of the config's
 * `sync:` catalog (or those named), the vendor's newest build is found in
 * its metadata, and published when it is newer than what users see: the
 * bytes streamed from the vendor into Glance and verified as they pass,
 * the image decided by the policy before anyone sees it, the one it
 * replaces renamed and hidden. This file is the command: options,
 * credentials, the run over the catalog, the exit status (io/sync.c does
 * the work). */
#include "cmd/cli.h"
#include "core/catalog.h"
#include "core/plan.h"
#include "core/util.h"
#include "io/clouds.h"
#include "io/config.h"
#include "io/keystone.h"
#include "io/opconf.h"
#include "io/sync.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char sync_usage[] =
"usage: scs-image-hook sync [--config FILE] [--os-cloud NAME] [--dry-run] [--check] [NAME...]\n"
"\n"
"Keep the images of the config's sync: catalog current: for each (or each\n"
"NAME given), find the vendor's newest build in its metadata; when it is\n"
"newer than the image users see, stream it from the vendor into a new\n"
"private, hidden image, verifying it against the vendor's checksum list as\n"
"it passes (nothing is written to local disk), set its metadata, decide it\n"
"with the policy, then put the image it replaces aside (sync.previous:\n"
"rename-and-hide, hide or keep) and publish the new one. A build that is\n"
"not the vendor's, older than the published one, or refused by the policy\n"
"changes nothing visible. Safe to kill and run again; two runs at once\n"
"never both publish (a lock in Glance).\n"
"\n"
"  -c, --config FILE     operator config (default $SCS_IMAGE_HOOK_CONFIG, else\n"
"                        /etc/scs-image-hook/scs-image-hook.yaml)\n"
"      --os-cloud NAME   credentials from clouds.yaml (default: the config's\n"
"                        keystone:); their project owns the images\n"
"  -n, --dry-run         print the plan (created, published, renamed, hidden,\n"
"                        deleted); change nothing\n"
"      --check           check the catalog against the policy and exit\n"
"  -h, --help            show this help\n"
"\n"
"Exit status: 0 up to date or published (also when another run holds the\n"
"lock), 1 something refused or failed, 2 usage, config, credentials.\n";

struct sync_opts {
	const char *config, *cloud;
	int dry_run, check;
	char **names;
	int n_names;
};

static int parse_opts(int argc, char **argv, struct sync_opts *o)
{
	enum { O_CLOUD = 256, O_CHECK };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "os-cloud", required_argument, NULL, O_CLOUD },
		{ "dry-run", no_argument, NULL, 'n' }, { "check", no_argument, NULL, O_CHECK },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->config = optarg; break;
		case O_CLOUD: o->cloud = optarg; break;
		case 'n': o->dry_run = 1; break;
		case O_CHECK: o->check = 1; break;
		case 'h': fputs(sync_usage, stdout); return 1;
		default: fputs(sync_usage, stderr); return -1;
		}
	}
	o->names = argv + optind;
	o->n_names = argc - optind;
	if (!o->config)
		o->config = cli_default_config();
	return 0;
}

/* The config: policy, catalog, credentials, log. */
static struct policy *load(const struct sync_opts *o, struct config *cfg)
{
	struct policy *p = policy_new();
	char err[2048];

	if (opconf_load(o->config, OPCONF_CREDENTIALS, p, cfg, err, sizeof(err)) < 0 ||
	    policy_finish(p, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		policy_free(p);
		return NULL;
	}
	if (!p->catalog) {
		cli_error("%s has no sync: catalog (sync.images names the images to keep current)", o->config);
		policy_free(p);
		config_free(cfg);
		return NULL;
	}
	if (plan_check(p, cli_today(NULL), err, sizeof(err)) < 0) {
		cli_error("%s", err);
		policy_free(p);
		config_free(cfg);
		return NULL;
	}
	for (int i = 0; i < o->n_names; i++)
		if (!catalog_find(p->catalog, o->names[i])) {
			cli_error("'%s' is not an image of the sync catalog in %s", o->names[i], o->config);
			policy_free(p);
			config_free(cfg);
			return NULL;
		}
	return p;
}

struct session {
	struct cloud_auth auth;
	struct keystone_session ks;
	struct http_client http, vendor_http;
	struct glance g;
};

/* Sync's token and the image endpoint of its catalog: through the proxy
 * where the catalog names one, so every write passes the same policy. */
static int sign_in(const struct sync_opts *o, const struct config *cfg, struct session *ss)
{
	char err[1024];
	const struct cloud_auth *a = &cfg->auth;

	if (o->cloud || !cfg->has_keystone) {
		if (clouds_resolve(o->cloud, &ss->auth, err, sizeof(err)) < 0) {
			cli_error("%s", err);
			return -1;
		}
		a = &ss->auth;
	}
	if (http_init(&ss->http, a->verify, a->cacert, err, sizeof(err)) < 0 ||
	    http_init(&ss->vendor_http, 1, NULL, err, sizeof(err)) < 0 ||
	    keystone_auth(&ss->http, a, &ss->ks, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	const char *ep = a->image_endpoint ? a->image_endpoint :
			 keystone_endpoint(&ss->ks, "image", a->interface ? a->interface : "public", a->region_name);
	if (!ep) {
		cli_error("the catalog of the sync credentials has no image endpoint");
		return -1;
	}
	glance_init(&ss->g, &ss->http, ep, ss->ks.token);
	return 0;
}

static void session_free(struct session *ss)
{
	keystone_session_free(&ss->ks);
	http_cleanup(&ss->http);
	http_cleanup(&ss->vendor_http);
	cloud_auth_free(&ss->auth);
}

static int wanted(const struct sync_opts *o, const char *name)
{
	if (!o->n_names)
		return 1;
	for (int i = 0; i < o->n_names; i++)
		if (!strcmp(o->names[i], name))
			return 1;
	return 0;
}

/* Each wanted entry, in the catalog's order; the exit status. */
static int run(struct sync_run *s, const struct sync_opts *o)
{
	static const char *const words[] = { "up to date", "published", "planned", "busy", "REFUSED", "FAILED" };
	int status = EXIT_OK;
	char why[4096];

	for (size_t i = 0; i < s->p->catalog->n; i++) {
		const struct catalog_entry *e = &s->p->catalog->e[i];
		if (!wanted(o, e->name))
			continue;
		enum sync_outcome out = sync_entry(s, e, why, sizeof(why));
		fprintf(out >= SYNC_REFUSED ? stderr : s->out, "%s: %s\n", words[out], why);
		if (out >= SYNC_REFUSED)
			status = EXIT_DENIED;
		if (out == SYNC_BUSY)
			break;          /* the other run does the rest */
	}
	sync_end(s);
	return s->log_lost ? EXIT_DENIED : status;
}

int cmd_sync(int argc, char **argv)
{
	struct sync_opts o = { 0 };
	struct config cfg = { 0 };
	struct session ss = { 0 };
	char err[1024];
	int status = EXIT_USAGE, rc = parse_opts(argc, argv, &o);

	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	struct policy *p = load(&o, &cfg);
	if (!p)
		return EXIT_USAGE;
	if (o.check) {
		printf("%s: the sync catalog (%zu images) is valid against the policy\n", o.config, p->catalog->n);
		status = EXIT_OK;
		goto out;
	}
	struct sync_run s = { .p = p, .http = &ss.http, .vendor_http = &ss.vendor_http, .g = &ss.g, .out = stdout,
			      .dry_run = o.dry_run, .tty = isatty(STDOUT_FILENO), .now = (long long)time(NULL),
			      .rec = recorder_new() };
	s.today = (int)(s.now / 86400);
	uuid_v4(s.run);
	if (sign_in(&o, &cfg, &ss) < 0)
		goto out_run;
	s.project_id = ss.ks.project_id;
	s.user_id = ss.ks.user_id;
	/* a batch, not a request waiting: the vendor's metadata (a products
	 * stream is MiBs) gets timeouts.upstream, not timeouts.decision */
	struct origin_config oc = p->origin;
	oc.timeout_ms = cfg.upstream_timeout_ms > oc.timeout_ms ? cfg.upstream_timeout_ms : oc.timeout_ms;
	if (p->origins.n && !(s.vendor = vendor_new(&oc, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out_run;
	}
	if (!s.dry_run && !(s.log = dlog_open(cfg.log_file, cfg.log_anchor, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out_run;
	}
	if (!p->origins.n)
		cli_error("the policy names no origins: sync publishes only what an origin verifies "
			  "(add policy/scs-origins.yaml to the config's policy:)");
	else
		status = run(&s, &o);
out_run:
	if (s.log)
		dlog_close(s.log);
	vendor_free(s.vendor);
	recorder_free(s.rec);
	session_free(&ss);
out:
	config_free(&cfg);
	policy_free(p);
	return status;
}
