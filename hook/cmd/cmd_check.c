/* check: decide images given as JSON, for pipelines and the import plugin. */
#include "cmd/cli.h"
#include "core/proof.h"
#include "core/decide.h"
#include "core/digest.h"
#include "core/image.h"
#include "io/log.h"
#include "core/record.h"
#include "core/util.h"
#include "io/vendor.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char check_usage[] =
"usage: scs-image-hook check [options] [FILE|-]\n"
"\n"
"Decide each image in FILE (default: standard input) against the policy.\n"
"Input: one Glance image object, a JSON array of them, or JSON lines; the\n"
"Glance API shape or `openstack image show -f json` (properties nested).\n"
"\n"
"  -c, --config FILE     operator config (spec files, mode, scope, exemptions)\n"
"  -p, --policy FILE     an SCS spec or v2 rules file; repeatable\n"
"  -f, --format FMT      text (default) or json: one decision record per line\n"
"      --mode MODE       override the configured mode: enforce, warn, dry-run\n"
"      --now DATE        evaluate dates (exemption expiry) as of YYYY-MM-DD\n"
"      --log FILE        append every decision record to FILE ('-': stderr)\n"
"      --project ID      the caller's project (default: the image's owner)\n"
"      --user ID         the caller's user id, for the record\n"
"      --source NAME     who asks: check (default), import, audit\n"
"      --roles LIST      the caller's roles (comma-separated), for the record\n"
"      --request-id ID   the request this decision belongs to, for the record\n"
"      --import-method M the import method (glance-direct, web-download,\n"
"                        copy-image, glance-download), for the record\n"
"      --uri URI         the URI a web-download import fetches from: it must\n"
"                        lie under a source allowed for the image (rule\n"
"                        import/download-uri; implies --import-method web-download)\n"
"      --data FILE       the image's data: when its image_source lies under an\n"
"                        origin (policy origins:), FILE must be the vendor's\n"
"                        file (rules origin/*, fetched as origin: in the config\n"
"                        says); the input then holds this one image\n"
"      --glance-hash ALGO  with --data: Glance's hashing algorithm (sha256 or\n"
"                        sha512, Glance's hashing_algorithm): FILE is hashed\n"
"                        with it too, and a verified FILE gets the image's\n"
"                        verification record in the decision record (origin.\n"
"                        record), bound to the digest Glance will compute: the\n"
"                        import plugin writes it onto the image\n"
"  -q, --quiet           text format: print only denied and warned images\n"
"  -h, --help            show this help\n"
"\n"
"Exit status: 0 every image allowed (warnings included), 1 some image\n"
"denied, 2 usage, policy or input error (the message names file and line),\n"
"or with --data: the origin could not be checked (its list unavailable).\n"
"\n"
"Example:\n"
"  openstack image show -f json IMAGE |\n"
"    scs-image-hook check --policy /usr/share/scs-image-hook/scs-0104-v1-images-v5.yaml\n";

struct check_opts {
	struct policy_args pa;
	int json, quiet, today;
	const char *now, *log, *mode, *source, *input;
	const char *import_method, *uri, *request_id, *data;
	int glance_hash;            /* --glance-hash: an enum sums_algo, or -1 */
	char **roles;               /* --roles, split at commas */
	size_t n_roles, roles_cap;
	struct caller who;
};

struct check_run {
	const struct check_opts *o;
	struct policy *policy;
	struct dlog *log;
	struct recorder *rec;
	struct image_reader *reader;
	size_t n[3];                /* images by action */
	FILE *data;                 /* --data, opened before anything is decided */
	struct vendor *vendor;      /* --data only: the one check that fetches */
	int unchecked;              /* --data refused only because the origin could not be checked */
};

/* What --data came to, for the record and the text. */
struct data_check {
	int under;                  /* the image_source lies under an origin */
	struct origin_expect e;
	char hex[SUMS_MAX_HEX + 1];
	const char *actual;         /* hex, or NULL when not hashed */
	char glance_hex[SUMS_MAX_HEX + 1];      /* --glance-hash: the digest Glance will compute */
	unsigned long long bytes;
	char proof[PROOF_MAX];      /* the verification record of a verified FILE, or "" */
};

static int add_roles(struct check_opts *o, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;

	for (char *r = strtok_r(copy, ",", &save); r; r = strtok_r(NULL, ",", &save)) {
		if (grow(&o->roles, &o->roles_cap, o->n_roles, sizeof(*o->roles)) < 0) {
			free(copy);
			cli_error("out of memory");
			return -1;
		}
		o->roles[o->n_roles++] = xstrdup(r);
	}
	free(copy);
	return 0;
}

/* Only web-download fetches from a URI; a URI with another method would
 * be checked for nothing Glance does, so it is a usage error. */
static int check_import(struct check_opts *o)
{
	static const char *const methods[] = { "glance-direct", "web-download", "copy-image", "glance-download" };
	size_t i;

	if (o->uri && !o->import_method)
		o->import_method = "web-download";
	if (!o->import_method)
		return 0;
	for (i = 0; i < ARRAY_SIZE(methods) && strcmp(o->import_method, methods[i]); i++)
		;
	if (i == ARRAY_SIZE(methods)) {
		cli_error("--import-method must be glance-direct, web-download, copy-image or glance-download, "
			  "not '%s'", o->import_method);
		return -1;
	}
	if (!strcmp(o->import_method, "web-download") != !!o->uri) {
		cli_error(o->uri ? "--uri is only for --import-method web-download, not %s"
				 : "--import-method %s needs --uri (the URI Glance downloads from)", o->import_method);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct check_opts *o)
{
	enum { O_MODE = 256, O_NOW, O_LOG, O_PROJECT, O_USER, O_SOURCE, O_ROLES,
	       O_IMPORT_METHOD, O_URI, O_REQUEST_ID, O_DATA, O_GLANCE_HASH };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "policy", required_argument, NULL, 'p' },
		{ "format", required_argument, NULL, 'f' }, { "mode", required_argument, NULL, O_MODE },
		{ "now", required_argument, NULL, O_NOW }, { "log", required_argument, NULL, O_LOG },
		{ "project", required_argument, NULL, O_PROJECT },
		{ "user", required_argument, NULL, O_USER }, { "source", required_argument, NULL, O_SOURCE },
		{ "roles", required_argument, NULL, O_ROLES }, { "request-id", required_argument, NULL, O_REQUEST_ID },
		{ "import-method", required_argument, NULL, O_IMPORT_METHOD }, { "uri", required_argument, NULL, O_URI },
		{ "data", required_argument, NULL, O_DATA }, { "glance-hash", required_argument, NULL, O_GLANCE_HASH },
		{ "quiet", no_argument, NULL, 'q' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	enum sums_algo algo;
	int c;

	o->source = "check";
	o->glance_hash = -1;
	while ((c = getopt_long(argc, argv, "c:p:f:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': o->pa.config = optarg; break;
		case 'p': policy_args_add(&o->pa, optarg); break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				cli_error("--format must be text or json, not '%s'", optarg);
				return -1;
			}
			o->json = !strcmp(optarg, "json");
			break;
		case O_MODE: o->mode = optarg; break;
		case O_NOW: o->now = optarg; break;
		case O_LOG: o->log = optarg; break;
		case O_PROJECT: o->who.project_id = optarg; break;
		case O_USER: o->who.user_id = optarg; break;
		case O_SOURCE: o->source = optarg; break;
		case O_ROLES:
			if (add_roles(o, optarg) < 0)
				return -1;
			break;
		case O_IMPORT_METHOD: o->import_method = optarg; break;
		case O_URI: o->uri = optarg; break;
		case O_REQUEST_ID: o->request_id = optarg; break;
		case O_DATA: o->data = optarg; break;
		case O_GLANCE_HASH:
			o->glance_hash = sums_algo_parse(optarg, strlen(optarg), &algo) == 0 ? (int)algo : -1;
			if (o->glance_hash < 0) {
				cli_error("--glance-hash must be sha256 or sha512, not '%s'", optarg);
				return -1;
			}
			break;
		case 'q': o->quiet = 1; break;
		case 'h': fputs(check_usage, stdout); exit(EXIT_OK);
		default: fputs(check_usage, stderr); return -1;
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc) {
		cli_error("check takes one input file, not '%s' too", argv[optind]);
		return -1;
	}
	if (strcmp(o->source, "check") && strcmp(o->source, "import") && strcmp(o->source, "audit")) {
		cli_error("--source must be check, import or audit");
		return -1;
	}
	if (check_import(o) < 0)
		return -1;
	if (o->glance_hash >= 0 && !o->data) {
		cli_error("--glance-hash goes with --data");
		return -1;
	}
	o->today = cli_today(o->now);
	return o->today < 0 ? -1 : 0;
}

static int apply_mode(struct policy *p, const char *mode)
{
	if (mode_parse(mode, &p->mode) == 0)
		return 0;
	cli_error("--mode must be enforce, warn or dry-run, not '%s'", mode);
	return -1;
}

static void print_origin(const struct data_check *dc)
{
	const struct origin_expect *e = &dc->e;

	if (!dc->under) {
		fputs("    origin: image_source lies under no origin: the data was not compared\n", stdout);
		return;
	}
	fputs("    origin: ", stdout);
	print_safe(stdout, e->list_url[0] ? e->list_url : "(no list)", 300);
	printf("\n      %s expected %s\n      %s actual   %s\n      signer %s%s\n", sums_algo_name(e->algo),
	       e->status == ORIGIN_LISTED ? e->expected : "-", sums_algo_name(e->algo), dc->actual ? dc->actual : "-",
	       e->signer[0] ? e->signer : "-", e->signed_only ? " (origin.signed_only)" : "");
	if (e->moving[0])
		printf("      not stable: image_source lies under '%s', which the vendor republishes; verified now, but "
		       "the dated URL is the one that keeps these bytes\n", e->moving);
}

static void print_text(const struct check_run *r, const struct image *img, const struct decision *d,
		       const struct data_check *dc)
{
	static const char *const label[] = { "ALLOW", "WARN ", "DENY " };
	char msg[1024];

	if (r->o->quiet && d->action == ACTION_ALLOW && !d->n)
		return;
	printf("%s ", label[d->action]);
	print_safe(stdout, img->name ? img->name : "(no name)", 120);
	printf("  [%s%s, %s%s]", visibility_name(img->visibility), img->visibility_given ? "" : " (default)",
	       mode_name(d->mode), d->exempted ? ", exempted" : "");
	if (img->id)
		printf(" id=%s", img->id);
	putchar('\n');
	for (size_t i = 0; i < d->n; i++) {
		const struct violation *v = &d->v[i];
		violation_message(v, msg, sizeof(msg));
		printf("    %s%s (", v->rule, v->exempted ? " [exempted]" : "");
		if (v->file)
			printf("%s:%u, ", v->file, v->line);
		fputs("entry '", stdout);
		print_safe(stdout, v->spec, 120);
		fputs("'):\n      ", stdout);
		print_safe(stdout, msg, sizeof(msg));
		putchar('\n');
		for (size_t k = 0; k < v->n_expected; k++)
			printf("      %-9s %s\n", k ? "or" : v->kind == V_SOURCE || v->kind == V_DOWNLOAD_URI ? "allowed:" : "required:",
			       v->expected[k]);
	}
	if (d->n_more)
		printf("    ... and %zu more violations\n", d->n_more);
	if (dc)
		print_origin(dc);
	if (d->exemption)
		printf("    exempted for project %s until %s: %s\n", d->exemption->project,
		       d->exemption->expires >= 0 ? "the date set" : "further notice", d->exemption->reason);
}

static int emit(struct check_run *r, const struct image *img, const struct caller *who,
		const struct decision *d, long latency_us, const struct data_check *dc)
{
	struct record_ctx ctx = { .source = r->o->source, .who = who, .policy = r->policy,
				  .latency_us = latency_us, .roles = (const char *const *)r->o->roles,
				  .n_roles = r->o->n_roles, .import_method = r->o->import_method,
				  .uri = r->o->uri, .request_id = r->o->request_id,
				  .origin = dc && dc->under ? &dc->e : NULL, .origin_actual = dc ? dc->actual : NULL,
				  .origin_record = dc && dc->proof[0] ? dc->proof : NULL };
	const char *line;
	size_t len;

	if (!r->o->json)
		print_text(r, img, d, dc);
	if (!r->o->json && !r->log)
		return 0;
	if (recorder_render(r->rec, &ctx, img, d, &line, &len) < 0) {
		cli_error("cannot render the decision record of image %zu", image_reader_count(r->reader));
		return -1;
	}
	char err[1024];
	if (r->log && dlog_write(r->log, line, len, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return -1;
	}
	if (r->o->json)
		fwrite(line, 1, len, stdout);
	return 0;
}

static long elapsed_us(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* The digest of --data in the list's algorithm, and in Glance's where
 * --glance-hash names another: read once, in chunks (images are GiBs). */
static int digest_data(struct check_run *r, enum sums_algo algo, struct data_check *dc)
{
	static char buf[256 << 10];
	int both = r->o->glance_hash >= 0 && (enum sums_algo)r->o->glance_hash != algo;
	struct digest *dg = digest_new(algo), *gd = both ? digest_new((enum sums_algo)r->o->glance_hash) : NULL;
	size_t got;

	while ((got = fread(buf, 1, sizeof(buf), r->data)) > 0) {
		digest_update(dg, buf, got);
		if (gd)
			digest_update(gd, buf, got);
		dc->bytes += got;
	}
	int bad = ferror(r->data);
	if (bad)
		cli_error("%s: read error: %m", r->o->data);
	digest_hex(dg, dc->hex);
	digest_free(dg);
	if (gd) {
		digest_hex(gd, dc->glance_hex);
		digest_free(gd);
	} else {
		strcpy(dc->glance_hex, dc->hex);
	}
	return bad ? -1 : 0;
}

/* A verified FILE: the verification record of the image, bound to the
 * digest and size Glance will hold once it stores these bytes. */
static void data_proof(const struct check_run *r, const struct image *img, struct data_check *dc)
{
	const struct origin_expect *e = &dc->e;
	struct proof p = { .algo = e->algo, .size = (long long)dc->bytes, .time = (long long)time(NULL) };

	if (r->o->glance_hash < 0 || !img->id || !img->image_source || e->status != ORIGIN_LISTED ||
	    strcmp(dc->hex, e->expected))
		return;
	snprintf(p.image, sizeof(p.image), "%s", img->id);
	snprintf(p.digest, sizeof(p.digest), "%s", e->expected);
	snprintf(p.glance_algo, sizeof(p.glance_algo), "%s", sums_algo_name((enum sums_algo)r->o->glance_hash));
	snprintf(p.glance_hash, sizeof(p.glance_hash), "%s", dc->glance_hex);
	snprintf(p.source, sizeof(p.source), "%s", img->image_source);
	snprintf(p.list, sizeof(p.list), "%s", e->list_url);
	snprintf(p.signer, sizeof(p.signer), "%s", e->signer[0] ? e->signer : "unsigned");
	if (proof_format(&p, dc->proof, sizeof(dc->proof)) < 0)
		dc->proof[0] = '\0';
}

/* A refusal that rests on origin/unavailable alone: the data could not be
 * checked (exit 2), which is not the same as data that is not the
 * vendor's (exit 1). Said on stderr too, for the import plugin. */
static void unchecked(struct check_run *r, const struct decision *d, const struct origin_expect *e)
{
	size_t binding = 0, unavailable = 0;

	for (size_t i = 0; i < d->n; i++) {
		binding += !d->v[i].advisory && !d->v[i].exempted;
		unavailable += !d->v[i].advisory && !d->v[i].exempted && d->v[i].kind == V_ORIGIN_UNAVAILABLE;
	}
	if (d->action != ACTION_DENY || !unavailable || unavailable != binding)
		return;
	r->unchecked = 1;
	cli_error("the origin of '%s' could not be checked: %s", e->file, e->why);
}

/* --data: the file judged as an upload of it would be. */
static int check_data(struct check_run *r, const struct image *img, const struct caller *who,
		      struct decision *d, struct data_check *dc)
{
	struct origin_expect *e = &dc->e;

	if (image_reader_count(r->reader) > 1) {
		cli_error("--data %s belongs to one image, but the input holds more", r->o->data);
		return -1;
	}
	dc->under = vendor_expect_source(r->vendor, &r->policy->origins, img->image_source, img->source_len, e);
	if (!dc->under)
		return 0;
	if (e->list_url[0]) {           /* the algorithm is known */
		if (digest_data(r, e->algo, dc) < 0)
			return -1;
		dc->actual = dc->hex;
	}
	decide_origin(r->policy, img, who, r->o->today, e, dc->actual, d);
	data_proof(r, img, dc);
	unchecked(r, d, e);
	return 0;
}

/* Called by the reader for each image as soon as it is complete. The
 * latency covers the decision, not the parse: parsing is paced by input. */
static int check_one(struct image *img, void *ctx)
{
	struct check_run *r = ctx;
	struct timespec t0;
	struct decision d;
	struct caller who = r->o->who;
	struct data_check dc;       /* --data only: zeroed there, not for every image of a batch */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!who.project_id)
		who.project_id = img->owner;
	decide_import(r->policy, img, r->o->uri, &who, r->o->today, &d);
	if (r->data) {
		memset(&dc, 0, sizeof(dc));
		if (check_data(r, img, &who, &d, &dc) < 0)
			return -1;
	}
	r->n[d.action]++;
	return emit(r, img, &who, &d, elapsed_us(&t0), r->data ? &dc : NULL);
}

static int run(struct check_run *r, FILE *f, const char *name)
{
	static char buf[64 << 10];
	char err[512] = "";
	int rc = 0;
	size_t got;

	r->reader = image_reader_new(check_one, r, name);
	if (!r->reader) {
		cli_error("out of memory");
		return -1;
	}
	while (rc == 0 && (got = fread(buf, 1, sizeof(buf), f)) > 0)
		rc = image_reader_feed(r->reader, buf, got, err, sizeof(err));
	if (rc == 0 && ferror(f)) {
		snprintf(err, sizeof(err), "%s: read error", name);
		rc = -1;
	}
	if (rc == 0)
		rc = image_reader_end(r->reader, err, sizeof(err));
	if (rc == 0 && image_reader_count(r->reader) == 0) {
		snprintf(err, sizeof(err), "%s: no images in the input", name);
		rc = -1;
	}
	if (rc < 0 && err[0])
		cli_error("%s", err);
	return rc;
}

static void summary(const struct check_run *r)
{
	size_t total = r->n[0] + r->n[1] + r->n[2];
	printf("%zu image%s: %zu allowed, %zu warned, %zu denied\n", total, total == 1 ? "" : "s",
	       r->n[ACTION_ALLOW], r->n[ACTION_WARN], r->n[ACTION_DENY]);
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct check_run r = { .o = &o };
	char err[512];
	int status = EXIT_USAGE;
	FILE *f = stdin;
	const char *name = "<stdin>";

	if (parse_opts(argc, argv, &o) < 0 || !(r.policy = policy_args_load(&o.pa)))
		goto out;
	if (o.mode && apply_mode(r.policy, o.mode) < 0)
		goto out;
	if (o.log && !(r.log = dlog_open(o.log, 0, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	if (o.data && !(r.data = fopen(o.data, "rb"))) {
		cli_error("--data %s: cannot open: %m", o.data);
		goto out;
	}
	if (o.data && !(r.vendor = vendor_new(&r.policy->origin, err, sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	if (o.input && strcmp(o.input, "-")) {
		name = o.input;
		if (!(f = fopen(o.input, "rb"))) {
			cli_error("%s: cannot open: %m", o.input);
			goto out;
		}
	}
	if (!(r.rec = recorder_new())) {
		cli_error("out of memory");
		goto out;
	}
	if (run(&r, f, name) == 0) {
		status = r.unchecked ? EXIT_USAGE : r.n[ACTION_DENY] ? EXIT_DENIED : EXIT_OK;
		if (!o.json)
			summary(&r);
	}
out:
	if (f && f != stdin)
		fclose(f);
	if (r.data)
		fclose(r.data);
	vendor_free(r.vendor);
	if (fflush(stdout) != 0 && status != EXIT_USAGE) {
		cli_error("cannot write the output");
		status = EXIT_USAGE;
	}
	image_reader_free(r.reader);
	recorder_free(r.rec);
	dlog_close(r.log);
	policy_free(r.policy);
	policy_args_free(&o.pa);
	for (size_t i = 0; i < o.n_roles; i++)
		free(o.roles[i]);
	free(o.roles);
	return status;
}
