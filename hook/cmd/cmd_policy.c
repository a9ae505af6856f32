/* policy: lint policy files; show the rules as the hook understands them. */
#include "cmd/cli.h"
#include "core/catalog.h"
#include "core/plan.h"
#include "core/image.h"
#include "io/opconf.h"
#include "core/meta.h"
#include "core/presence.h"
#include "core/testcase.h"
#include "io/vendor.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char policy_usage[] =
"usage: scs-image-hook policy lint FILE...\n"
"       scs-image-hook policy show [--config FILE | --policy FILE...] [--now DATE]\n"
"\n"
"lint  loads each file on its own (an operator config, an SCS spec file,\n"
"      SCS-0104 v2 rules or image metadata rules, told apart by their keys)\n"
"      and reports the first error as file:line:column; exit 0 when all\n"
"      are valid, 2 otherwise.\n"
"      A config is checked as `proxy --check` checks it (the same loader),\n"
"      its keystone cloud looked up; only listen and upstream may be absent.\n"
"show  prints the loaded rules in words: which names each spec entry\n"
"      selects, the allowed sources, the v2 rules with their release table,\n"
"      which releases the presence rules ask for on DATE (default today),\n"
"      the enforcement scope and the exemptions.\n"
"\n"
"  -c, --config FILE     show: the operator config (default: $SCS_IMAGE_HOOK_CONFIG\n"
"                        or /etc/scs-image-hook/scs-image-hook.yaml)\n"
"  -p, --policy FILE     show: an SCS spec, v2 rules or metadata file; repeatable\n"
"      --now DATE        show: the presence rules as of YYYY-MM-DD\n"
"  -h, --help            show this help\n";

static int lint(int argc, char **argv)
{
	int bad = 0;
	char err[1024];

	if (argc < 1) {
		cli_error("policy lint needs at least one FILE");
		return EXIT_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		struct policy *p = policy_new();
		struct config c;
		/* a config is checked as the proxy checks it, credentials looked up */
		if (opconf_load(argv[i], OPCONF_CREDENTIALS | OPCONF_ANY_FILE, p, &c, err, sizeof(err)) < 0 ||
		    policy_finish(p, err, sizeof(err)) < 0 || plan_check(p, cli_today(NULL), err, sizeof(err)) < 0 ||
		    cli_resolve_projects(&c, p, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			bad = 1;
		} else {
			printf("%s: ok (%zu spec entries, %zu v2 rules, %zu distros, %zu presence rules, "
			       "%zu metadata rules, %zu exemptions)", argv[i], p->n_entries, p->n_rules, p->n_distros,
			       p->n_presence, p->n_meta, p->n_exemptions);
			if (p->origins.n)
				printf("; %zu origins", p->origins.n);
			if (p->catalog)
				printf("; sync: %zu images", p->catalog->n);
			if (c.upstream && c.listen.port)
				printf("; proxy: %s:%u to %s", c.listen.host ? c.listen.host : "*", c.listen.port,
				       c.upstream);
			putchar('\n');
		}
		config_free(&c);
		policy_free(p);
	}
	return bad ? EXIT_USAGE : EXIT_OK;
}

static void show_list(const char *label, char *const *items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("      %-9s %s\n", i ? "or" : label, items[i]);
}

static void show_entries(const struct policy *p)
{
	char source[192], image[192];

	if (!p->n_entries)
		return;
	printf("\nSCS spec entries (an image they select must have image_source starting with a source):\n");
	for (size_t i = 0; i < p->n_entries; i++) {
		const struct spec_entry *e = &p->entries[i];
		printf("  %s [%s] (%s:%u)\n", e->name, status_name(e->status), e->file, e->line);
		if (e->scheme.code)
			printf("      selects  names matching /%s/ from the start (re.match)\n", e->scheme.pattern);
		else
			printf("      selects  the name \"%s\" exactly\n", e->name);
		testcase_source(e, source, sizeof(source));
		testcase_image(e, image, sizeof(image));
		printf("      testcases %s, %s\n", source, image);
		show_list("source", e->sources, e->n_sources);
	}
}

static void show_distros(const struct policy *p)
{
	char day[11];

	for (size_t i = 0; i < p->n_distros; i++) {
		const struct distro *d = &p->distros[i];
		printf("\ndistro %s (os_version must match /%s/ whole):\n", d->name, d->version_format.pattern);
		for (size_t k = 0; k < d->n_releases; k++) {
			date_format(d->releases[k].released, day);
			printf("  %-6s %-10s released %s%s\n", d->releases[k].version, d->releases[k].codename,
			       day, d->releases[k].lts ? "  LTS" : "");
		}
	}
}

static void show_rules(const struct policy *p)
{
	if (!p->n_rules)
		return;
	printf("\nSCS-0104 v2 rules:\n");
	for (size_t i = 0; i < p->n_rules; i++) {
		const struct v2_rule *r = &p->rules[i];
		printf("  %s (%s:%u)\n      when    ", r->id, r->file, r->line);
		for (size_t k = 0; k < r->n_match; k++)
			printf("%s%s=%s", k ? ", " : "", r->match[k].key, r->match[k].value);
		if (r->name_scheme.code)
			printf("%sname matches /%s/ from the start", r->n_match ? ", " : "", r->name_scheme.pattern);
		putchar('\n');
		if (r->distro)
			printf("      needs   os_version in the %s table; {codename} from it\n", r->distro->name);
		show_list("source", r->sources, r->n_sources);
		for (size_t k = 0; k < r->n_require; k++)
			printf("      require %s=%s\n", r->require[k].key, r->require[k].value);
	}
}

static void show_meta(const struct policy *p)
{
	if (!p->n_meta)
		return;
	printf("\nimage metadata rules (every image):\n");
	for (size_t i = 0; i < p->n_meta; i++) {
		const struct meta_rule *r = &p->meta[i];
		printf("  %s [%s] (%s:%u)\n      property %s: %s\n", r->rule, status_name(r->status), r->file,
		       r->line, r->property, r->allowed);
		if (r->testcase)
			printf("      testcase %s\n", r->testcase);
		else
			printf("      testcase (none: stricter than the official test)\n");
	}
}

static void show_presence(const struct policy *p, int today)
{
	char day[11];

	if (!p->n_presence)
		return;
	date_format(today, day);
	printf("\npresence (audit), as of %s:\n", day);
	for (size_t i = 0; i < p->n_presence; i++) {
		const struct presence_rule *r = &p->presence[i];
		const struct release *latest, *previous;
		if (!r->distro) {
			printf("  %s: an image named /%s/\n", status_name(r->latest), r->name_scheme.pattern);
			continue;
		}
		presence_expected(r, today, &latest, &previous);
		printf("  %s %s: latest %s -> %s; previous %s -> %s\n", r->distro->name,
		       r->lts_only ? "LTS" : "stable",
		       status_name(r->latest), latest ? latest->version : "(none yet)",
		       status_name(r->previous), previous ? previous->version : "(none)");
	}
}

static void show_origins(const struct policy *p)
{
	static const char *const where[] = { [ORIGIN_AT_NAME] = "", [ORIGIN_AT_PATTERN] = " (the one name the "
					     "directory's index matches)", [ORIGIN_AT_FILE] = " (one per image)" };
	const struct origin_config *c = &p->origin;

	for (size_t i = 0; i < p->origins.n; i++) {
		const struct origin *o = &p->origins.o[i];
		printf("origin: %s (%s:%u): %s list %s%s, %s lines%s, ", o->prefix, o->file, o->line,
		       sums_algo_name(o->format.algo), o->checksums, where[o->where], sums_lines_name(o->format.lines),
		       o->format.comments ? " and '#' comments" : "");
		if (o->signed_as == ORIGIN_DETACHED)
			printf("signed in %s by", o->signature);
		else if (o->signed_as == ORIGIN_CLEARSIGNED)
			printf("clearsigned by");
		else
			printf("unsigned (HTTPS is the only protection)%s", c->signed_only ? ": refused (signed_only)" : "");
		for (size_t k = 0; k < o->n_keys; k++)
			printf(" %s", o->keys[k]);
		for (size_t k = 0; k < o->n_moving; k++)
			printf("%s%s", k ? ", " : "; moving: ", o->moving[k]);
		putchar('\n');
	}
	if (!p->origins.n)
		return;
	printf("origin keyring: %s; lists kept %lds\n", c->keyring ? c->keyring : "(none: signed lists fail)",
	       (c->cache_ms > 0 ? c->cache_ms : VENDOR_CACHE_MS) / 1000);
	for (size_t i = 0; i < c->n_fetch; i++)
		printf("origin fetch: %s from %s\n", c->fetch[i].from, c->fetch[i].to);
}

static void show_config(const struct policy *p)
{
	char day[11];

	printf("mode %s; by visibility:", mode_name(p->mode));
	for (int v = 0; v < VIS_COUNT; v++)
		printf(" %s=%s", visibility_name((enum visibility)v),
		       mode_name(p->mode < p->scope[v] ? p->mode : p->scope[v]));
	printf("\nweb-download URI (import.download_uri): %s\n", download_uri_name(p->download_uri));
	printf("files:\n");
	for (size_t i = 0; i < p->n_files; i++)
		printf("  %s\n", p->files[i]);
	printf("sha256 %s\n", p->sha256);
	show_origins(p);
	for (size_t i = 0; i < p->n_exemptions; i++) {
		const struct exemption *e = &p->exemptions[i];
		if (e->expires >= 0)
			date_format(e->expires, day);
		printf("exemption: project %s, rules %s, until %s: %s\n", e->project,
		       e->n_rules ? e->rules[0] : "all", e->expires >= 0 ? day : "(no expiry)", e->reason);
		for (size_t k = 1; k < e->n_rules; k++)
			printf("           and rule %s\n", e->rules[k]);
	}
}

static int show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' }, { "policy", required_argument, NULL, 'p' },
		{ "now", required_argument, NULL, 'n' }, { "help", no_argument, NULL, 'h' }, { 0 }
	};
	struct policy_args pa = { 0 };
	const char *now = NULL;
	int c, status = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': pa.config = optarg; break;
		case 'p': policy_args_add(&pa, optarg); break;
		case 'n': now = optarg; break;
		case 'h': fputs(policy_usage, stdout); policy_args_free(&pa); return EXIT_OK;
		default: fputs(policy_usage, stderr); policy_args_free(&pa); return EXIT_USAGE;
		}
	}
	int today = cli_today(now);
	struct policy *p = today < 0 ? NULL : policy_args_load(&pa);
	if (p) {
		show_config(p);
		show_entries(p);
		show_distros(p);
		show_rules(p);
		show_meta(p);
		show_presence(p, today);
		status = EXIT_OK;
	}
	policy_free(p);
	policy_args_free(&pa);
	return status;
}

int cmd_policy(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(policy_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "lint"))
		return lint(argc - 2, argv + 2);
	if (!strcmp(argv[1], "show"))
		return show(argc - 1, argv + 1);
	cli_error("policy: '%s' is not a subcommand (lint, show)", argv[1]);
	return EXIT_USAGE;
}
