/* log: read decision logs (plain and rotated .gz): filter, print a table,
 * JSON lines or a summary, or verify their chain (io/log.h). Streams:
 * one line at a time, whatever the size of the log. A malformed line is
 * reported with its file and line and skipped, never fatal. */
#include "cmd/cli.h"
#include "cmd/log_summary.h"
#include "core/chain.h"
#include "core/logrec.h"
#include "core/util.h"
#include "io/lines.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char log_usage[] =
"usage: scs-image-hook log [options] [FILE...]\n"
"\n"
"Reads decision logs (docs/decision-record.md), plain or gzip-compressed as\n"
"logrotate leaves them; no FILE: standard input. Rotated files are read\n"
"oldest first (F.3.gz, F.2.gz, F.1, F) whatever order they are named in.\n"
"A line that is not a record is reported as FILE:LINE and skipped.\n"
"\n"
"  -s, --since TIME      records at or after TIME (YYYY-MM-DD[THH:MM[:SS]][Z], UTC)\n"
"  -u, --until TIME      records at or before TIME (a day: through its end)\n"
"  -d, --decision D      allow, warn or deny\n"
"  -r, --rule GLOB       records with a violation of a rule matching GLOB\n"
"                        (scs-0104/*, quota/*)\n"
"  -p, --project GLOB    the caller's project id\n"
"  -i, --image GLOB      the image's id or name\n"
"      --source NAME     who decided: proxy, check, import, audit, sync\n"
"  -m, --mode MODE       enforce, warn or dry-run\n"
"  -f, --format FMT      table (default) or json (the records as they are, one a line)\n"
"  -S, --summary         counts by decision, rule, project and day, and what enforce\n"
"                        would have refused under warn and dry-run (--format json: one object)\n"
"  -V, --verify          follow the chain (seq, prev) through FILE... in order: report\n"
"                        each record deleted, changed or reordered as FILE:LINE; exit 1\n"
"      --anchors FILE    --verify: the chain heads the proxy wrote to its journal\n"
"                        (log.anchor): a log rewritten whole, or cut at its end, fails\n"
"  -h, --help            show this help\n"
"\n"
"Exit status: 0 read (or verified), 1 --verify found a break, 2 usage or a file\n"
"that could not be read.\n";

struct log_opts {
	struct logrec_filter f;
	int json, summary, verify;
	const char *anchors;
};

/* ---- files in order ------------------------------------------------------ */

struct named {
	const char *path;
	size_t base_len;                /* the path without .N or .N.gz */
	long rotation;                  /* N, 0 for the live file */
	size_t given;                   /* its place on the command line */
};

/* F.N or F.N.gz: logrotate's names; N, and the length of F. */
static void rotation_of(struct named *n)
{
	const char *p = n->path;
	size_t len = strlen(p);

	n->base_len = len;
	n->rotation = 0;
	if (len > 3 && !strcmp(p + len - 3, ".gz"))
		len -= 3;
	size_t d = len;
	while (d > 0 && p[d - 1] >= '0' && p[d - 1] <= '9')
		d--;
	if (d == len || d < 2 || p[d - 1] != '.' || len - d > 6)
		return;
	n->rotation = atol(p + d);
	n->base_len = d - 1;
}

/* Oldest first within a log; logs in the order of their first naming. */
static int older(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int same = x->base_len == y->base_len && !memcmp(x->path, y->path, x->base_len);

	if (!same)
		return x->given < y->given ? -1 : 1;
	if (x->rotation != y->rotation)
		return x->rotation > y->rotation ? -1 : 1;
	return x->given < y->given ? -1 : x->given > y->given;
}

static struct named *order_files(char **paths, size_t n)
{
	struct named *out = xcalloc(n, sizeof(*out));

	for (size_t i = 0; i < n; i++) {
		out[i].path = paths[i];
		rotation_of(&out[i]);
	}
	/* a log is placed where any of its files is first named */
	for (size_t i = 0; i < n; i++) {
		out[i].given = i;
		for (size_t j = 0; j < i; j++)
			if (out[j].base_len == out[i].base_len && !memcmp(out[j].path, out[i].path, out[i].base_len)) {
				out[i].given = out[j].given;
				break;
			}
	}
	qsort(out, n, sizeof(*out), older);
	return out;
}

/* ---- reading ------------------------------------------------------------- */

struct reader {
	const struct log_opts *o;
	struct logrec_parser *parser;
	struct log_summary *summary;
	struct chain_follow chain;
	struct anchors *anchors;
	unsigned long long malformed, shown, broken, chained;
	unsigned long long first_seq;
	int first_seen, io_error;
};

static void print_row(const struct logrec *r)
{
	char rules[256] = "";
	size_t off = 0;

	for (size_t i = 0; i < r->n_rules && i < LOGREC_MAX_RULES && off < sizeof(rules); i++)
		off += (size_t)snprintf(rules + off, sizeof(rules) - off, "%s%s%s", i ? "," : "", r->rules[i],
					r->rule_exempted[i] ? "(exempt)" : "");
	printf("%.19s  %-5s %-7s %-6s ", r->time, r->decision, r->mode ? r->mode : "-", r->source ? r->source : "-");
	print_safe(stdout, r->project_id ? r->project_id : "-", 32);
	fputs("  ", stdout);
	print_safe(stdout, r->image_name ? r->image_name : r->image_id ? r->image_id : "-", 40);
	fputs("  ", stdout);
	print_safe(stdout, rules[0] ? rules : "-", sizeof(rules));
	if (r->error) {
		fputs("  error: ", stdout);
		print_safe(stdout, r->error, 120);
	}
	fputc('\n', stdout);
}

static void malformed(struct reader *rd, const char *path, unsigned long long line, const char *why)
{
	rd->malformed++;
	if (rd->o->verify)      /* part of the verdict */
		printf("%s:%llu: not a record: %s\n", path, line, why);
	else
		fprintf(stderr, "scs-image-hook log: %s:%llu: %s (skipped)\n", path, line, why);
}

/* --anchors: the chain's heads as the journal holds them, by seq. */
struct anchor {
	unsigned long long seq;
	char hash[CHAIN_HEX];
	int met;
};

struct anchors {
	struct anchor *a;
	size_t n, cap;
};

static int anchor_cmp(const void *x, const void *y)
{
	const struct anchor *a = x, *b = y;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The anchors of the log named base (its file name) in path: lines with
 * "decision log anchor: log=PATH seq=N sha256=HEX", in whatever journal
 * export they stand. */
static struct anchors *anchors_load(const char *path, const char *base, size_t base_len)
{
	char err[512];
	struct lines *l = lines_open(path, err, sizeof(err));
	struct anchors *as = xcalloc(1, sizeof(*as));
	const char *line;
	size_t len;
	int cut;

	if (!l) {
		cli_error("%s", err);
		free(as);
		return NULL;
	}
	while (lines_next(l, &line, &len, &cut, err, sizeof(err)) > 0) {
		const char *at = memmem(line, len, "decision log anchor: log=", 25);
		char logp[4096], hex[CHAIN_HEX];
		unsigned long long seq;
		if (!at || sscanf(at + 25, "%4095s seq=%llu sha256=%64[0-9a-f]", logp, &seq, hex) != 3 ||
		    strlen(hex) != 64)
			continue;
		const char *name = strrchr(logp, '/') ? strrchr(logp, '/') + 1 : logp;
		if (strlen(name) != base_len || memcmp(name, base, base_len))
			continue;
		if (grow(&as->a, &as->cap, as->n, sizeof(*as->a)) < 0)
			oom();
		as->a[as->n].seq = seq;
		memcpy(as->a[as->n].hash, hex, CHAIN_HEX);
		as->a[as->n++].met = 0;
	}
	lines_close(l);
	qsort(as->a, as->n, sizeof(*as->a), anchor_cmp);
	return as;
}

/* A record of the chain against the anchor of its seq, if there is one. */
static void check_anchor(struct reader *rd, const struct logrec *r, const char *path, unsigned long long n)
{
	struct anchor key = { .seq = r->seq };
	struct anchor *a;

	if (!rd->anchors || !r->has_seq ||
	    !(a = bsearch(&key, rd->anchors->a, rd->anchors->n, sizeof(key), anchor_cmp)))
		return;
	a->met = 1;
	if (strcmp(a->hash, rd->chain.hash)) {
		rd->broken++;
		printf("%s:%llu: seq %llu is not the record the journal anchored (the log was rewritten)\n", path, n,
		       r->seq);
	}
}

/* --verify: one line of the chain. */
static void verify_line(struct reader *rd, const struct logrec *r, const char *line, size_t len, const char *path,
			unsigned long long n)
{
	char why[256];
	enum chain_verdict v = chain_step(&rd->chain, r, line, len, why, sizeof(why));

	if (r && r->has_seq) {
		rd->chained++;
		if (!rd->first_seen)
			rd->first_seq = r->seq;
		rd->first_seen = 1;
	}
	if (v == CHAIN_BROKEN) {
		rd->broken++;
		if (why[0])
			printf("%s:%llu: %s\n", path, n, why);
	}
	if (r)
		check_anchor(rd, r, path, n);
}

static void one_line(struct reader *rd, const char *line, size_t len, int cut, const char *path, unsigned long long n)
{
	struct logrec r;
	char why[256];
	int ok = !cut && logrec_parse(rd->parser, line, len, &r, why, sizeof(why)) == 0;

	if (cut)
		snprintf(why, sizeof(why), "a line longer than %u MiB", LINES_MAX >> 20);
	if (!ok) {
		malformed(rd, path, n, why);
		if (rd->o->verify) {
			rd->broken++;
			chain_step(&rd->chain, NULL, line, len, why, sizeof(why));
		}
		return;
	}
	if (rd->o->verify) {
		verify_line(rd, &r, line, len, path, n);
		return;
	}
	if (!logrec_match(&rd->o->f, &r))
		return;
	rd->shown++;
	if (rd->summary)
		log_summary_add(rd->summary, &r);
	else if (rd->o->json)
		printf("%.*s\n", (int)len, line);
	else
		print_row(&r);
}

static void read_file(struct reader *rd, const char *path)
{
	char err[512];
	struct lines *l = lines_open(path, err, sizeof(err));
	const char *line;
	size_t len;
	int cut, rc;

	if (!l) {
		cli_error("%s", err);
		rd->io_error = 1;
		return;
	}
	while ((rc = lines_next(l, &line, &len, &cut, err, sizeof(err))) > 0)
		one_line(rd, line, len, cut, path, lines_number(l));
	if (rc < 0) {
		cli_error("%s", err);
		rd->io_error = 1;
	}
	lines_close(l);
}

/* ---- the command ----------------------------------------------------------- */

static int time_opt(const char *arg, int until, char out[28])
{
	if (logrec_time_bound(arg, until, out) == 0)
		return 0;
	cli_error("--%s %s: expected YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (UTC)",
		  until ? "until" : "since", arg);
	return -1;
}

static int one_of(const char *opt, const char *arg, const char *const *names)
{
	for (size_t i = 0; names[i]; i++)
		if (!strcmp(arg, names[i]))
			return 0;
	cli_error("--%s %s: not one of the values it takes (scs-image-hook help log)", opt, arg);
	return -1;
}

static int parse_opts(int argc, char **argv, struct log_opts *o)
{
	static const struct option longopts[] = {
		{ "since", required_argument, NULL, 's' }, { "until", required_argument, NULL, 'u' },
		{ "decision", required_argument, NULL, 'd' }, { "rule", required_argument, NULL, 'r' },
		{ "project", required_argument, NULL, 'p' }, { "image", required_argument, NULL, 'i' },
		{ "source", required_argument, NULL, 'o' }, { "mode", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' }, { "summary", no_argument, NULL, 'S' },
		{ "verify", no_argument, NULL, 'V' }, { "anchors", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { 0 }
	};
	int c, filters = 0;

	while ((c = getopt_long(argc, argv, "s:u:d:r:p:i:m:f:SVh", longopts, NULL)) != -1) {
		filters += !strchr("fSVah", c);
		switch (c) {
		case 's': if (time_opt(optarg, 0, o->f.since) < 0) return -1; break;
		case 'u': if (time_opt(optarg, 1, o->f.until) < 0) return -1; break;
		case 'd':
			if (one_of("decision", optarg, (const char *const[]){ "allow", "warn", "deny", NULL }) < 0)
				return -1;
			o->f.decision = optarg;
			break;
		case 'm':
			if (one_of("mode", optarg, (const char *const[]){ "enforce", "warn", "dry-run", NULL }) < 0)
				return -1;
			o->f.mode = optarg;
			break;
		case 'f':
			if (one_of("format", optarg, (const char *const[]){ "table", "json", NULL }) < 0)
				return -1;
			o->json = !strcmp(optarg, "json");
			break;
		case 'r': o->f.rule = optarg; break;
		case 'p': o->f.project = optarg; break;
		case 'i': o->f.image = optarg; break;
		case 'o': o->f.source = optarg; break;
		case 'S': o->summary = 1; break;
		case 'V': o->verify = 1; break;
		case 'a': o->anchors = optarg; break;
		case 'h': fputs(log_usage, stdout); return 1;
		default: fputs(log_usage, stderr); return -1;
		}
	}
	if (o->verify && (filters || o->summary)) {
		cli_error("--verify follows every record: it takes no filter and no --summary");
		return -1;
	}
	if (o->anchors && !o->verify) {
		cli_error("--anchors goes with --verify");
		return -1;
	}
	return 0;
}

static int verify_report(struct reader *rd, size_t files)
{
	size_t unmet = 0;
	unsigned long long last = rd->chain.had_seq ? rd->chain.seq : 0;

	for (size_t i = 0; rd->anchors && i < rd->anchors->n; i++) {
		const struct anchor *a = &rd->anchors->a[i];
		if (a->met || (rd->first_seen && a->seq < rd->first_seq))
			continue;       /* older than the files given */
		unmet++;
		if (unmet == 1)
			printf("the log ends at seq %llu, but the journal anchored seq %llu: records deleted from its end "
			       "(or its newest file not given)\n", last, a->seq);
	}
	rd->broken += unmet;
	if (!rd->broken && !rd->malformed) {
		printf("verified: %llu chained records in %zu file%s, seq %llu to %llu", rd->chained, files,
		       files == 1 ? "" : "s", rd->first_seq, last);
		if (rd->anchors)
			printf(", %zu anchors met", rd->anchors->n);
		printf("\n");
		return EXIT_OK;
	}
	printf("NOT verified: %llu break%s in the chain\n", rd->broken, rd->broken == 1 ? "" : "s");
	return EXIT_DENIED;
}

int cmd_log(int argc, char **argv)
{
	struct log_opts o = { 0 };
	int rc = parse_opts(argc, argv, &o);
	char *stdin_only[] = { "-" };

	if (rc)
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	size_t n = argc > optind ? (size_t)(argc - optind) : 1;
	struct named *files = order_files(argc > optind ? argv + optind : stdin_only, n);
	struct reader rd = { .o = &o, .parser = logrec_parser_new() };
	if (o.summary)
		rd.summary = log_summary_new();
	if (o.anchors) {
		const char *p = files[n - 1].path, *name = strrchr(p, '/') ? strrchr(p, '/') + 1 : p;
		if (!(rd.anchors = anchors_load(o.anchors, name, files[n - 1].base_len - (size_t)(name - p))))
			rd.io_error = 1;
	}
	for (size_t i = 0; i < n && !(o.anchors && !rd.anchors); i++)
		read_file(&rd, files[i].path);
	if (o.verify && !rd.io_error)
		rc = verify_report(&rd, n);
	else if (rd.summary)
		log_summary_print(rd.summary, rd.malformed, o.json, stdout);
	if (rd.io_error)
		rc = EXIT_USAGE;
	if (rd.anchors)
		free(rd.anchors->a);
	free(rd.anchors);
	log_summary_free(rd.summary);
	logrec_parser_free(rd.parser);
	free(files);
	return rc;
}
