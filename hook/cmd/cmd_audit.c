/* audit: check every image of a cloud the way the SCS compliance test
 * does (public and community images, source prefixes, mandatory and
 * recommended images), and more: community and hidden images are listed
 * explicitly, every image of a duplicated name counts, v2 rules apply.
 *
 * This file is the command: its options, listing the cloud and tallying
 * each image into struct audit (audit.h), and the run. Origin
 * verification, the presence expectations and the reports have files of
 * their own (audit_origin.c, audit_presence.c, audit_report.c). */
#include "cmd/audit.h"
#include "cmd/cli.h"
#include "core/meta.h"
#include "io/clouds.h"
#include "io/glance.h"
#include "io/keystone.h"
#include "io/vendor.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char audit_usage[] =
"usage: scs-image-hook audit [--os-cloud NAME] [--config FILE | --policy FILE...]\n"
"                            [--format text|json|scs] [--now DATE] [--all-visibilities]\n"
"                            [--verify-origin [--download] [--record]] [--output FILE]\n"
"                            [--textfile FILE] [TESTCASE...]\n"
"       scs-image-hook audit --verify-origin --image ID [--os-cloud NAME] [--config FILE]\n"
"\n"
"List every public and community image of a cloud (hidden ones too, reported\n"
"apart) and report each image whose image_source or properties violate the\n"
"policy, and every mandatory or recommended image that is missing, including\n"
"the SCS-0104 v2 presence rules as of DATE (default today). Each violating image\n"
"is named with its owner (project id and name, asked of Keystone once per\n"
"project), the mode and visibility scope it falls under, what the proxy would\n"
"do, and what would be right (the allowed values).\n"
"\n"
"      --os-cloud NAME   cloud from clouds.yaml (default $OS_CLOUD, else OS_* variables)\n"
"  -c, --config FILE     operator config\n"
"  -p, --policy FILE     an SCS spec, v2 rules or metadata file; repeatable\n"
"  -f, --format FMT      text (default), json (full report), scs (testcase lines\n"
"                        as the SCS compliance runner reads them; they judge\n"
"                        only public and community images that are not hidden,\n"
"                        as the standard and its test do)\n"
"      --now DATE        evaluate presence dates as of YYYY-MM-DD\n"
"      --all-visibilities  also shared and private images: the token needs the\n"
"                        admin role (Glance lists other projects' images to admin\n"
"                        only); without it audit says so and exits 2\n"
"      --verify-origin   an image whose image_source lies under an origin (policy\n"
"                        origins:) must be the vendor's file: Glance's\n"
"                        os_hash_value is compared with the vendor's list where\n"
"                        os_hash_algo is the list's algorithm (rules origin/*;\n"
"                        scs line scs-image-hook-origin)\n"
"      --download        with --verify-origin: where the algorithms differ, read\n"
"                        the image data from Glance and hash it (progress on a\n"
"                        terminal); without, such images are listed as not verified\n"
"      --record          with --verify-origin: write the verification record of\n"
"                        every image found to be its vendor's file (the\n"
"                        credentials need Glance's admin role): what the\n"
"                        proxy then takes without reading the data again\n"
"      --image ID        with --verify-origin: verify that one image, reading its\n"
"                        data back without a bound, and on a match write its\n"
"                        verification record (the hook's credentials: admin);\n"
"                        what the proxy asks for when a read-back is over\n"
"                        origin.readback. Exit 0 verified, 1 not the vendor's\n"
"                        bytes, 2 not verified (why on stderr)\n"
"  -o, --output FILE     write the report to FILE (via FILE.tmp, synced and renamed\n"
"                        over it); a run that cannot list the cloud leaves FILE\n"
"      --textfile FILE   also write the run's figures for node_exporter's textfile\n"
"                        collector (images, violations by rule, missing images,\n"
"                        exit status, time), atomically like --output, also when\n"
"                        the run fails (then exit status and time only)\n"
"  -h, --help            show this help\n"
"\n"
"With --format scs, the TESTCASEs named (scs-0104-source-ubuntu-2404, ...) are\n"
"printed in that order, as the official openstack_test.py prints them: one the\n"
"policy does not define is ABORT, and so is every one when the cloud cannot be\n"
"read (with a CRITICAL: line on stderr). policy/scs-0104-testcases.yaml holds\n"
"the official test's testcases; deploy/scs/scs-0104-test calls audit the way\n"
"the SCS compliance runner calls openstack_test.py.\n"
"\n"
"Exit status: 0 compliant, 1 violations or missing mandatory images (scs: a\n"
"FAIL line), 2 usage, policy, authentication or connection error, or with\n"
"--verify-origin an image that could not be verified now (a vendor's list\n"
"unreachable, its data not read back): unverified with the reason, never\n"
"counted as a violation.\n";

enum { FMT_TEXT, FMT_JSON, FMT_SCS };

static void remember_visible(struct audit *a, const struct image *img)
{
	if (img->name && grow(&a->names, &a->cap_names, a->n_names, sizeof(*a->names)) == 0)
		a->names[a->n_names++] = xstrdup(img->name);
	if (img->os_distro && img->os_version &&
	    grow(&a->keys, &a->cap_keys, a->n_keys, sizeof(*a->keys)) == 0)
		a->keys[a->n_keys++] = (struct image_key){ xstrdup(img->os_distro), xstrdup(img->os_version),
							   audit_dup(img->os_purpose) };
}

static void count_results(struct audit *a, const struct decision *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct policy *p = a->policy;
		for (size_t k = 0; k < p->n_entries; k++)
			if (d->v[i].spec == p->entries[k].name)
				a->entries[k].failed++;
		for (size_t k = 0; k < p->n_rules; k++)
			if (d->v[i].spec == p->rules[k].id)
				a->rules[k].failed++;
		for (size_t k = 0; k < p->n_meta; k++)
			if (d->v[i].spec == p->meta[k].id)
				a->meta_failed[k]++;
	}
}

static void remember_fleet(struct audit *a, const struct image *img)
{
	if (!a->policy->fleet || grow(&a->fleet, &a->cap_fleet, a->n_fleet, sizeof(*a->fleet)) < 0)
		return;
	fleet_image_take(a->policy->fleet, img, &a->fleet[a->n_fleet++]);
}

static void on_finding(void *ctx, const char *testcase, int fail, const struct fleet_image *img, const char *message)
{
	struct audit *a = ctx;
	if (grow(&a->cloud, &a->cap_cloud, a->n_cloud, sizeof(*a->cloud)) < 0)
		return;
	a->cloud[a->n_cloud++] = (struct cloud_finding){ testcase, fail, audit_dup(img->id), xstrdup(img->name),
							 xstrdup(message) };
	a->binding += fail;
}

/* The allowed values as the decision record gives them: the vendor's
 * digest for an origin rule, else the rule's list. */
static void take_expected(struct audit_violation *av, const struct violation *v)
{
	const char *vendor[1] = { v->origin ? v->origin->expected : NULL };
	const char *const *list = v->expected;
	size_t n = v->n_expected;

	if (v->origin && v->origin->status == ORIGIN_LISTED) {
		list = vendor;
		n = 1;
	}
	av->expected = xcalloc(n ? n : 1, sizeof(char *));
	for (av->n_expected = 0; av->n_expected < n; av->n_expected++)
		av->expected[av->n_expected] = xstrdup(list[av->n_expected]);
}

static void remember_bad(struct audit *a, const struct image *img, const struct decision *d, int present)
{
	char msg[1024], hint[1024];

	if (grow(&a->bad, &a->cap_bad, a->n_bad, sizeof(*a->bad)) < 0)
		return;
	struct bad_image *b = &a->bad[a->n_bad++];
	*b = (struct bad_image){ audit_dup(img->id), audit_dup(img->name), audit_dup(img->owner), img->visibility,
				 img->os_hidden, present, a->policy->mode, a->policy->scope[img->visibility], d->action,
				 xcalloc(d->n, sizeof(*b->v)), d->n };
	for (size_t i = 0; i < d->n; i++) {
		const struct violation *v = &d->v[i];
		violation_message(v, msg, sizeof(msg));
		violation_hint(v, hint, sizeof(hint));      /* the words the proxy's refusal adds */
		b->v[i] = (struct audit_violation){ xstrdup(v->exempted ? "exempted" : v->rule), xstrdup(msg),
						    xstrdup(hint), NULL, 0, v->spec, v->exempted };
		take_expected(&b->v[i], v);
		a->binding += !v->exempted;
	}
}

/* Present as SCS-0104 means it, and as the official test lists images:
 * public or community, and not hidden. */
static int scs_present(const struct image *img)
{
	return !img->os_hidden && (img->visibility == VIS_PUBLIC || img->visibility == VIS_COMMUNITY);
}

static int on_image(const char *json, size_t len, void *ctx)
{
	struct audit *a = ctx;
	struct image img = { 0 };
	struct decision d;
	struct caller who = { 0 };
	char why[256];

	if (image_parse(&img, json, len, why, sizeof(why)) < 0) {
		snprintf(a->err, sizeof(a->err), "Glance returned an image we cannot read: %s", why);
		image_release(&img);
		return -1;
	}
	who.project_id = img.owner;
	decide(a->policy, &img, &who, a->today, &d);
	decide_meta_now(a->policy, &img, a->now, &d);
	struct origin_seen seen;
	if (a->verify)
		audit_origin_verify(a, &img, &who, &d, &seen);
	a->listed++;
	a->by_vis[img.visibility]++;
	a->hidden += img.os_hidden;
	int present = scs_present(&img);
	if (present) {
		remember_visible(a, &img);
		remember_fleet(a, &img);
	}
	for (size_t k = 0; k < a->policy->n_entries; k++) {
		const struct spec_entry *e = &a->policy->entries[k];
		int sel = name_matches(a->policy, &img, &e->scheme, e->name) != 0;   /* limit: count it */
		a->entries[k].checked += sel;
		a->entries[k].present += sel && present;
	}
	/* The SCS testcase lines judge present images only; every image of a
	 * duplicated name among them counts (stricter than the test, which
	 * keeps the last). text and json still report the others. */
	if (present)
		count_results(a, &d);
	if (d.n)
		remember_bad(a, &img, &d, present);
	if (a->progress && a->listed % 100 == 0)
		fprintf(stderr, "\raudit: %zu images", a->listed);
	image_release(&img);
	return 0;
}

/* Glance leaves community and hidden images out of a default listing, so
 * each visibility is asked for explicitly, hidden and visible. */
static int list_all(struct audit *a, struct glance *g)
{
	char query[128];

	for (int v = 0; v < (a->all ? 4 : 2); v++)
		for (int hidden = 0; hidden < 2; hidden++) {
			snprintf(query, sizeof(query), "visibility=%s%s", visibility_name((enum visibility)v),
				 hidden ? "&os_hidden=true" : "");
			if (glance_list(g, query, on_image, a, a->err, sizeof(a->err)) < 0)
				return -1;
		}
	if (a->progress)
		fprintf(stderr, "\raudit: %zu images, %zu pages\n", a->listed, g->pages);
	return 0;
}

/* --image: that one image, as Glance holds it. */
static int get_one(struct audit *a, struct glance *g)
{
	struct http_resp resp = { 0 };
	char why[256];
	int rc = -1;

	if (glance_get(g, a->image, &resp, a->err, sizeof(a->err)) < 0)
		return -1;
	if (resp.status != 200) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(a->err, sizeof(a->err), "image %.64s: Glance answered HTTP %ld: %s", a->image, resp.status, why);
	} else {
		rc = on_image(resp.body, resp.len, a);
	}
	http_resp_free(&resp);
	return rc;
}

/* The owners of the images with violations, by name: one Keystone
 * lookup per project, with the audit's own credentials. A name that
 * cannot be had is said, never fatal (a token without admin may see
 * only its own project). */
static void resolve_owners(struct audit *a, struct http_client *http, const char *auth_url, const char *token)
{
	char name[256], why[512];

	for (size_t i = 0; i < a->n_bad; i++) {
		const char *id = a->bad[i].owner;
		if (!id || audit_owner_of(a, id) || grow(&a->owners, &a->cap_owners, a->n_owners, sizeof(*a->owners)) < 0)
			continue;
		int rc = keystone_project_name(http, auth_url, token, id, name, sizeof(name), why, sizeof(why));
		a->owners[a->n_owners++] = (struct audit_owner){ xstrdup(id), rc ? NULL : xstrdup(name),
								 rc ? xstrdup(why) : NULL };
	}
}

/* Glance's default policy lists other projects' shared and private
 * images only to admin: without it, --all-visibilities would audit part
 * of the cloud and look complete. */
static int admin_for_all(struct audit *a, const struct keystone_session *ks, const char *cloud)
{
	char roles[256];

	if (!a->all || keystone_has_role(ks, "admin"))
		return 0;
	keystone_role_names(ks, roles, sizeof(roles));
	snprintf(a->err, sizeof(a->err), "--all-visibilities needs the admin role (Glance's default policy lists "
		 "every project's images to admin only), and the token of %s has roles: %s; nothing audited",
		 cloud ? cloud : "the environment's cloud", roles);
	return -1;
}

static int connect_and_list(struct audit *a, const char *cloud)
{
	struct cloud_auth auth = { 0 };
	struct http_client http = { 0 };
	struct keystone_session ks = { 0 };
	struct glance g;
	int rc = -1;

	if (clouds_resolve(cloud, &auth, a->err, sizeof(a->err)) < 0 ||
	    http_init(&http, auth.verify, auth.cacert, a->err, sizeof(a->err)) < 0 ||
	    keystone_auth(&http, &auth, &ks, a->err, sizeof(a->err)) < 0 || admin_for_all(a, &ks, auth.cloud) < 0)
		goto out;
	const char *ep = keystone_endpoint(&ks, "image", auth.interface ? auth.interface : "public", auth.region_name);
	if (!ep) {
		snprintf(a->err, sizeof(a->err), "the catalog of %s has no %s image endpoint%s%s",
			 auth.cloud ? auth.cloud : "the environment's cloud", auth.interface ? auth.interface : "public",
			 auth.region_name ? " in region " : "", auth.region_name ? auth.region_name : "");
		goto out;
	}
	glance_init(&g, &http, ep, ks.token);
	a->glance = &g;
	rc = a->image ? get_one(a, &g) : list_all(a, &g);
	a->glance = NULL;
	if (rc == 0 && !a->image)
		resolve_owners(a, &http, auth.auth_url, ks.token);
out:
	keystone_session_free(&ks);
	http_cleanup(&http);
	cloud_auth_free(&auth);
	return rc;
}

static void audit_free(struct audit *a)
{
	for (size_t i = 0; i < a->n_bad; i++) {
		for (size_t k = 0; k < a->bad[i].n; k++) {
			struct audit_violation *v = &a->bad[i].v[k];
			free(v->rule);
			free(v->message);
			free(v->hint);
			for (size_t e = 0; e < v->n_expected; e++)
				free(v->expected[e]);
			free(v->expected);
		}
		free(a->bad[i].v);
		free(a->bad[i].id);
		free(a->bad[i].name);
		free(a->bad[i].owner);
	}
	free(a->bad);
	for (size_t i = 0; i < a->n_owners; i++) {
		free(a->owners[i].id);
		free(a->owners[i].name);
		free(a->owners[i].why);
	}
	free(a->owners);
	for (size_t i = 0; i < a->n_names; i++)
		free(a->names[i]);
	free(a->names);
	for (size_t i = 0; i < a->n_keys; i++) {
		free(a->keys[i].distro);
		free(a->keys[i].version);
		free(a->keys[i].purpose);
	}
	free(a->keys);
	free(a->entries);
	free(a->rules);
	free(a->meta_failed);
	for (size_t i = 0; i < a->n_fleet; i++)
		fleet_image_free(a->policy->fleet, &a->fleet[i]);
	free(a->fleet);
	for (size_t i = 0; i < a->n_cloud; i++) {
		free(a->cloud[i].id);
		free(a->cloud[i].name);
		free(a->cloud[i].message);
	}
	free(a->cloud);
	for (size_t i = 0; i < a->n_unverified; i++) {
		free(a->unverified[i].id);
		free(a->unverified[i].name);
		free(a->unverified[i].why);
	}
	free(a->unverified);
	for (size_t i = 0; i < a->n_newer; i++) {
		free(a->newer[i].id);
		free(a->newer[i].name);
		free(a->newer[i].why);
	}
	free(a->newer);
	vendor_free(a->vendor);
	policy_free(a->policy);
}

struct audit_opts {
	struct policy_args pa;
	const char *cloud, *now;
	const char *output, *textfile;      /* replaced whole when the run lists the cloud */
	char **tests;                       /* scs: the testcases asked for, in order */
	size_t n_tests;
};

/* TESTCASE arguments are taken as openstack_test.py takes them: those
 * not starting with scs- are ignored with a warning. */
static int take_tests(struct audit *a, struct audit_opts *o, int argc, char **argv)
{
	if (optind < argc && a->format != FMT_SCS) {
		cli_error("audit takes TESTCASE arguments only with --format scs ('%s'); see --help", argv[optind]);
		return -1;
	}
	o->tests = argv + optind;
	for (int i = optind; i < argc; i++) {
		if (!strncmp(argv[i], "scs-", 4))
			o->tests[o->n_tests++] = argv[i];
		else
			fprintf(stderr, "WARNING: ignoring unknown testcase: %s\n", argv[i]);
	}
	return 0;
}

static int parse_opts(struct audit *a, struct audit_opts *o, int argc, char **argv)
{
	enum { O_CLOUD = 256, O_NOW, O_ALL, O_VERIFY, O_DOWNLOAD, O_IMAGE, O_RECORD, O_TEXTFILE };
	static const struct option longopts[] = {
		{ "os-cloud", required_argument, NULL, O_CLOUD }, { "config", required_argument, NULL, 'c' },
		{ "policy", required_argument, NULL, 'p' }, { "format", required_argument, NULL, 'f' },
		{ "now", required_argument, NULL, O_NOW }, { "all-visibilities", no_argument, NULL, O_ALL },
		{ "verify-origin", no_argument, NULL, O_VERIFY }, { "download", no_argument, NULL, O_DOWNLOAD },
		{ "image", required_argument, NULL, O_IMAGE }, { "record", no_argument, NULL, O_RECORD },
		{ "output", required_argument, NULL, 'o' }, { "textfile", required_argument, NULL, O_TEXTFILE },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:p:f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case O_CLOUD: o->cloud = optarg; break;
		case 'c': o->pa.config = optarg; break;
		case 'p': policy_args_add(&o->pa, optarg); break;
		case O_NOW: o->now = optarg; break;
		case O_ALL: a->all = 1; break;
		case O_VERIFY: a->verify = 1; break;
		case O_DOWNLOAD: a->download = 1; break;
		case O_IMAGE: a->image = optarg; break;
		case O_RECORD: a->record = 1; break;
		case 'o': o->output = optarg; break;
		case O_TEXTFILE: o->textfile = optarg; break;
		case 'f':
			a->format = !strcmp(optarg, "json") ? FMT_JSON : !strcmp(optarg, "scs") ? FMT_SCS :
				    !strcmp(optarg, "text") ? FMT_TEXT : -1;
			if (a->format < 0) {
				cli_error("--format must be text, json or scs, not '%s'", optarg);
				return -1;
			}
			break;
		case 'h': fputs(audit_usage, stdout); return 1;
		default: fputs(audit_usage, stderr); return -1;
		}
	}
	if ((a->download || a->image || a->record) && !a->verify) {
		cli_error("--%s is for --verify-origin only", a->image ? "image" : a->record ? "record" : "download");
		return -1;
	}
	if (a->image && (optind < argc || a->all || a->format == FMT_SCS || o->output || o->textfile)) {
		cli_error("--image verifies one image: no TESTCASE, --all-visibilities, --format scs, --output or "
			  "--textfile with it");
		return -1;
	}
	a->download |= a->image != NULL;
	a->record |= a->image != NULL;
	return take_tests(a, o, argc, argv);
}

/* --image: what verifying the one image came to; the exit status. */
static int report_image(const struct audit *a)
{
	if (!a->origin_checked) {
		cli_error("image %s: its image_source lies under no origin of the policy: nothing to verify", a->image);
		return EXIT_USAGE;
	}
	if (a->origin_failed) {
		for (size_t i = 0; i < a->n_bad; i++)
			for (size_t k = 0; k < a->bad[i].n; k++)
				if (!strncmp(a->bad[i].v[k].rule, "origin/", 7))
					printf("image %s: %s (%s)\n", a->image, a->bad[i].v[k].message, a->bad[i].v[k].rule);
		return EXIT_DENIED;
	}
	if (a->n_unverified) {
		cli_error("image %s: not verified: %s", a->image, a->unverified[0].why);
		return EXIT_USAGE;
	}
	if (a->n_newer) {
		printf("image %s: verified by its record: %s\n", a->image, a->newer[0].why);
		return EXIT_OK;
	}
	printf("image %s: verified: its data is the vendor's file%s\n", a->image,
	       a->origin_recorded ? "; the verification record is written" : "");
	return EXIT_OK;
}

/* A file replaced whole or not at all: written as FILE.tmp beside it,
 * synced and renamed over it, so that a reader (node_exporter, a
 * dashboard) never sees half a report and a failed run leaves the last. */
struct atomic_out {
	const char *path;
	char tmp[4096];
	FILE *f;
};

static FILE *atomic_open(struct atomic_out *o, const char *path)
{
	o->path = path;
	if ((size_t)snprintf(o->tmp, sizeof(o->tmp), "%s.tmp", path) >= sizeof(o->tmp))
		errno = ENAMETOOLONG;
	else
		o->f = fopen(o->tmp, "w");
	if (!o->f)
		cli_error("audit: cannot write %s: %s", o->tmp, strerror(errno));
	return o->f;
}

/* The directory entry too, so that the rename survives a crash. */
static void sync_dir(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1, slash ? path : ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* keep: rename it over the path, else remove it. -1 (said) when it could
 * not be written. */
static int atomic_close(struct atomic_out *o, int keep)
{
	if (!o->f)
		return 0;
	int bad = fflush(o->f) != 0 || ferror(o->f) || (keep && fsync(fileno(o->f)) != 0);
	int e = errno;
	bad |= fclose(o->f) != 0;
	o->f = NULL;
	if (keep && !bad && rename(o->tmp, o->path) == 0) {
		sync_dir(o->path);
		return 0;
	}
	e = bad ? e : errno;
	unlink(o->tmp);
	if (keep)
		cli_error("audit: cannot write %s: %s", o->path, strerror(e));
	return keep ? -1 : 0;
}

/* The exit status the reports stand for; origin checks that could not be
 * made now turn it to 2 whatever else was found: the audit is incomplete,
 * which neither compliant nor not compliant would say. */
static int verdict(const struct audit *a, int failed)
{
	if (a->origin_incomplete) {
		for (size_t i = 0; i < a->n_unverified; i++)
			if (a->unverified[i].incomplete) {
				cli_error("audit: %zu image%s under an origin could not be verified now (unverified, not "
					  "judged): image %s: %s", a->origin_incomplete, a->origin_incomplete == 1 ? "" : "s",
					  a->unverified[i].id ? a->unverified[i].id : "(no id)", a->unverified[i].why);
				break;
			}
		return EXIT_USAGE;
	}
	return failed ? EXIT_DENIED : EXIT_OK;
}

/* The report in the format asked for into out, and the figures into tf
 * (when asked for); the exit status. */
static int report(struct audit *a, const struct audit_opts *o, int aborted, FILE *out, FILE *tf)
{
	if (a->image && !aborted)
		return report_image(a);
	struct expectation x[MAX_EXPECT];
	size_t nx = audit_presence_expectations(a, x, MAX_EXPECT), mm = 0, mr = 0;
	int status;

	for (size_t i = 0; i < nx; i++) {
		mm += !x[i].present && x[i].status == STATUS_MANDATORY;
		mr += !x[i].present && x[i].status == STATUS_RECOMMENDED;
	}
	if (a->format == FMT_SCS) {
		/* the lines (ABORT when the cloud could not be read), and the status they say */
		int failed = audit_report_scs(a, x, nx, aborted, o->tests, o->n_tests, out);
		status = aborted ? EXIT_USAGE : verdict(a, failed);
	} else if (aborted) {
		status = EXIT_USAGE;
	} else {
		if (a->format == FMT_JSON)
			audit_report_json(a, x, nx, mm, mr, out);
		else
			audit_report_text(a, x, nx, mm, mr, out);
		status = verdict(a, a->binding || mm);
	}
	if (tf)
		audit_report_textfile(a, mm, mr, aborted, status, tf);
	return status;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_opts o = { 0 };
	struct audit a = { 0 };
	struct atomic_out out = { 0 }, tf = { 0 };
	int status = EXIT_USAGE, rc = parse_opts(&a, &o, argc, argv);

	if (rc > 0)
		status = EXIT_OK;
	if (rc || (a.today = cli_today(o.now)) < 0 || !(a.policy = policy_args_load(&o.pa)))
		goto out;
	a.entries = xcalloc(a.policy->n_entries, sizeof(*a.entries));
	a.rules = xcalloc(a.policy->n_rules, sizeof(*a.rules));
	a.meta_failed = xcalloc(a.policy->n_meta ? a.policy->n_meta : 1, sizeof(*a.meta_failed));
	a.now = o.now ? (long long)a.today * 86400 : (long long)time(NULL);
	a.progress = isatty(STDERR_FILENO);
	a.trust_records = a.policy->origin.trust_records;
	if ((a.verify && audit_origin_start(&a) < 0) || (o.output && !atomic_open(&out, o.output)) ||
	    (o.textfile && !atomic_open(&tf, o.textfile)))
		goto out;
	int aborted = connect_and_list(&a, o.cloud) < 0;
	if (!aborted)
		fleet_judge(a.policy, a.fleet, a.n_fleet, a.now, on_finding, &a, a.cloud_failed);
	if (aborted && a.progress)
		fputc('\n', stderr);
	if (aborted && a.format == FMT_SCS)
		fprintf(stderr, "CRITICAL: audit: %s\n", a.err);     /* as the SCS runner counts it */
	else if (aborted)
		cli_error("audit: %s", a.err);
	status = report(&a, &o, aborted, out.f ? out.f : stdout, tf.f);
	/* a run that could not list the cloud leaves the last report; the
	 * figures always say how the run ended */
	if (atomic_close(&out, !aborted) < 0 || atomic_close(&tf, 1) < 0)
		status = EXIT_USAGE;
out:
	atomic_close(&out, 0);
	atomic_close(&tf, 0);
	audit_free(&a);
	policy_args_free(&o.pa);
	return status;
}
