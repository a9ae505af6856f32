/* Property: for random SCS spec files, random operator configs and random
 * images, decide() agrees with a plain reference implementation of the
 * SCS-0104 v1 semantics written here, independently of hook/core/decide.c:
 *   - no name_scheme: the name equals the entry's name exactly;
 *   - name_scheme: the regex matches at the start of the name, not
 *     necessarily to its end (Python's re.match). Here: an unanchored
 *     pcre2 search whose leftmost match must start at offset 0;
 *   - a selected entry needs image_source to start with one of its
 *     sources, byte for byte; missing or empty fails;
 *   - the mode is the weaker of the config's mode and the scope of the
 *     image's visibility (Glance's default when absent: shared).
 * Policies go through the real loader (YAML text in files, a config that
 * names the spec); images through the real JSON reader.
 *
 * PROPERTY_SEED=N repeats a run; PROPERTY_CASES=N changes its size
 * (default 100000; 20000 under valgrind, about 10 s there). */
#include "unit.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#define IMAGES_PER_POLICY 100
#define MAX_ENTRIES 6
#define MAX_SOURCES 3

/* ---- a seeded PRNG (splitmix64) ---------------------------------------- */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static int chance(unsigned percent)
{
	return below(100) < percent;
}

/* ---- strings ------------------------------------------------------------ */

struct str {
	char s[160];
	size_t n;
};

struct text {                   /* a whole spec file */
	char s[8192];
	size_t n;
};

static void put_to(char *s, size_t *n, size_t cap, const char *add)
{
	size_t len = strlen(add);
	if (*n + len < cap) {
		memcpy(s + *n, add, len);
		*n += len;
	}
	s[*n] = '\0';
}

#define put(b, add) put_to((b)->s, &(b)->n, sizeof((b)->s), (add))

/* Name characters: ASCII look-alikes, separators, and UTF-8 (an Arabic-Indic
 * digit, which \d matches under Unicode rules as in Python). */
static const char *const alphabet[] = { "a", "b", "c", "x", "U", "u", "0", "1", "2", "9", " ", "-", ".",
					"_", "\xc3\xa9", "\xd9\xa3", "\xc3\x9f" };
#define N_ALPHABET (sizeof(alphabet) / sizeof(alphabet[0]))

static void put_random(struct str *b, unsigned min, unsigned max)
{
	unsigned n = min + below(max - min + 1);
	for (unsigned i = 0; i < n; i++)
		put(b, alphabet[below(N_ALPHABET)]);
}

/* A safe regex and a name it matches from the start. Quantifiers never
 * nest, so no pattern can backtrack catastrophically. */
static void gen_atom(struct str *re, struct str *sample)
{
	static const char *const lits[] = { "a", "b", "u", "x", "0", "1", " ", "-", "\xc3\xa9" };
	char digit[2] = { (char)('0' + below(10)), 0 };
	unsigned reps = 1, kind = below(6);
	const char *q = "";

	switch (below(5)) {
	case 0: q = "?"; reps = below(2); break;
	case 1: q = "+"; reps = 1 + below(3); break;
	case 2: q = "{1,3}"; reps = 1 + below(3); break;
	default: break;
	}
	const char *lit = lits[below(sizeof(lits) / sizeof(lits[0]))];
	switch (kind) {
	case 0: put(re, "[0-9]"); break;
	case 1: put(re, "\\d"); break;
	case 2: put(re, "\\."); break;
	case 3: put(re, "."); break;
	default: put(re, lit); break;
	}
	put(re, q);
	for (unsigned i = 0; i < reps; i++) {
		switch (kind) {
		case 0: put(sample, digit); break;
		case 1: put(sample, chance(20) ? "\xd9\xa3" : digit); break;
		case 2: put(sample, "."); break;
		case 3: put(sample, alphabet[below(N_ALPHABET)]); break;
		default: put(sample, lit); break;
		}
	}
}

static void gen_regex(struct str *re, struct str *sample)
{
	unsigned items = 1 + below(5);
	re->n = sample->n = 0;
	put(re, "");
	put(sample, "");
	for (unsigned i = 0; i < items; i++) {
		if (chance(20)) {
			/* an optional group, as "(\.[0-9]+)?" */
			struct str inner_re = { .n = 0 }, inner_s = { .n = 0 };
			gen_atom(&inner_re, &inner_s);
			gen_atom(&inner_re, &inner_s);
			put(re, "(");
			put(re, inner_re.s);
			put(re, ")?");
			if (chance(50))
				put(sample, inner_s.s);
		} else if (chance(15)) {
			struct str a_re = { .n = 0 }, a_s = { .n = 0 }, b_re = { .n = 0 }, b_s = { .n = 0 };
			gen_atom(&a_re, &a_s);
			gen_atom(&b_re, &b_s);
			put(re, "(");
			put(re, a_re.s);
			put(re, "|");
			put(re, b_re.s);
			put(re, ")");
			put(sample, chance(50) ? a_s.s : b_s.s);
		} else {
			gen_atom(re, sample);
		}
	}
}

/* A YAML double-quoted scalar. */
static void put_yaml(struct text *b, const char *s)
{
	put(b, "\"");
	for (; *s; s++) {
		char c[3] = { *s, 0, 0 };
		if (*s == '"' || *s == '\\') {
			c[0] = '\\';
			c[1] = *s;
		}
		put(b, c);
	}
	put(b, "\"");
}

/* ---- the reference ------------------------------------------------------- */

struct ref_entry {
	struct str name;
	struct str scheme;              /* empty: no name_scheme */
	struct str sample;              /* a name the scheme matches */
	pcre2_code *code;               /* unanchored: start checked by hand */
	struct str sources[MAX_SOURCES];
	size_t n_sources;
};

struct ref_policy {
	struct ref_entry e[MAX_ENTRIES];
	size_t n;
	enum mode mode;
	enum mode scope[VIS_COUNT];
};

/* re.match: some match starts at offset 0. The leftmost match of a search
 * starts at 0 exactly when an anchored match exists. */
static int ref_selects(const struct ref_entry *e, const char *name)
{
	if (!name)
		return 0;
	if (!e->scheme.n)
		return strcmp(name, e->name.s) == 0;
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(e->code, NULL);
	int rc = pcre2_match(e->code, (PCRE2_SPTR)name, strlen(name), 0, 0, md, NULL);
	int at_start = rc > 0 && pcre2_get_ovector_pointer(md)[0] == 0;
	pcre2_match_data_free(md);
	ck_assert_msg(rc > 0 || rc == PCRE2_ERROR_NOMATCH, "reference regex error %d", rc);
	return at_start;
}

static int ref_source_ok(const struct ref_entry *e, const char *src)
{
	if (!src || !*src)
		return 0;
	for (size_t i = 0; i < e->n_sources; i++)
		if (strncmp(src, e->sources[i].s, e->sources[i].n) == 0)
			return 1;
	return 0;
}

/* Cut b back to valid UTF-8: JSON strings must be. */
static void utf8_repair(struct str *b)
{
	size_t i = b->n;
	while (i > 0 && ((unsigned char)b->s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i > 0 && (unsigned char)b->s[i - 1] >= 0xc0) {
		unsigned char lead = (unsigned char)b->s[i - 1];
		size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
		if (b->n - (i - 1) < want) {
			b->n = i - 1;
			b->s[b->n] = '\0';
		}
	}
}

/* ---- generated policies --------------------------------------------------- */

static void gen_url(struct str *b)
{
	static const char *const hosts[] = { "https://cloud-images.ubuntu.com/", "https://cloud.debian.org/images/",
					     "http://mirror.example/", "https://x/", "https://cloud-images.ubuntu.com" };
	b->n = 0;
	put(b, hosts[below(sizeof(hosts) / sizeof(hosts[0]))]);
	put_random(b, 0, 6);
}

static void gen_policy(struct ref_policy *rp, struct text *spec_yaml, char *config, size_t config_len)
{
	static const char *const modes[] = { "dry-run", "warn", "enforce" };
	static const char *const vis[] = { "public", "community", "shared", "private" };

	memset(rp, 0, sizeof(*rp));
	rp->n = 1 + below(MAX_ENTRIES);
	spec_yaml->n = 0;
	put(spec_yaml, "images:\n");
	for (size_t i = 0; i < rp->n; i++) {
		struct ref_entry *e = &rp->e[i];
		if (i > 0 && chance(10))
			e->name = rp->e[below((unsigned)i)].name;    /* a duplicated name */
		else
			put_random(&e->name, 1, 10);
		put(spec_yaml, "- name: ");
		put_yaml(spec_yaml, e->name.s);
		put(spec_yaml, "\n");
		if (chance(45)) {
			gen_regex(&e->scheme, &e->sample);
			put(spec_yaml, "  name_scheme: ");
			put_yaml(spec_yaml, e->scheme.s);
			put(spec_yaml, "\n");
			int errcode;
			PCRE2_SIZE off;
			e->code = pcre2_compile((PCRE2_SPTR)e->scheme.s, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
						&errcode, &off, NULL);
			ck_assert_msg(e->code, "generated regex '%s' does not compile", e->scheme.s);
		}
		e->n_sources = 1 + below(MAX_SOURCES);
		put(spec_yaml, "  source:\n");
		for (size_t k = 0; k < e->n_sources; k++) {
			if (i > 0 && chance(15)) {
				/* a source of another entry, perhaps cut short: prefixes overlap */
				const struct ref_entry *o = &rp->e[below((unsigned)i)];
				e->sources[k] = o->sources[below((unsigned)o->n_sources)];
				if (e->sources[k].n > 1 && chance(50)) {
					e->sources[k].s[--e->sources[k].n] = '\0';
					utf8_repair(&e->sources[k]);
				}
			} else {
				gen_url(&e->sources[k]);
			}
			put(spec_yaml, "  - ");
			put_yaml(spec_yaml, e->sources[k].s);
			put(spec_yaml, "\n");
		}
		if (chance(50))
			put(spec_yaml, chance(50) ? "  status: mandatory\n" : "  status: optional\n");
	}
	/* the config: defaults where a key is left out */
	rp->mode = MODE_ENFORCE;
	rp->scope[VIS_PUBLIC] = rp->scope[VIS_COMMUNITY] = MODE_ENFORCE;
	rp->scope[VIS_SHARED] = rp->scope[VIS_PRIVATE] = MODE_WARN;
	size_t off = 0;
	off += (size_t)snprintf(config + off, config_len - off, "policy: SPEC\n");
	if (chance(70)) {
		rp->mode = (enum mode)below(3);
		off += (size_t)snprintf(config + off, config_len - off, "mode: %s\n", modes[rp->mode]);
	}
	if (chance(60)) {
		off += (size_t)snprintf(config + off, config_len - off, "visibility:\n");
		int first = (int)below(VIS_COUNT);     /* at least one key: an empty map is null in YAML */
		for (int v = 0; v < VIS_COUNT; v++)
			if (v == first || chance(50)) {
				rp->scope[v] = (enum mode)below(3);
				off += (size_t)snprintf(config + off, config_len - off, "  %s: %s\n", vis[v],
							modes[rp->scope[v]]);
			}
	}
}

static struct policy *load_generated(const struct text *spec_yaml, const char *config_tmpl, char *shown,
				     size_t shown_len)
{
	char err[1024], config[1024];
	const char *spec = tmp_file(spec_yaml->s);
	const char *at = strstr(config_tmpl, "SPEC");
	snprintf(config, sizeof(config), "%.*s%s%s", (int)(at - config_tmpl), config_tmpl, spec, at + 4);
	const char *cfg = tmp_file(config);
	struct policy *p = policy_new();

	snprintf(shown, shown_len, "%s--- spec:\n%s", config, spec_yaml->s);
	int rc = opconf_load(cfg, 0, p, NULL, err, sizeof(err));
	if (rc == 0)
		rc = policy_finish(p, err, sizeof(err));
	unlink(spec);
	unlink(cfg);
	ck_assert_msg(rc == 0, "generated policy refused: %s\n%s", err, shown);
	return p;
}

/* ---- generated images ------------------------------------------------------ */

static void vary(struct str *b)
{
	switch (below(5)) {
	case 0: put(b, alphabet[below(N_ALPHABET)]); break;             /* longer */
	case 1: if (b->n) b->s[--b->n] = '\0'; break;                     /* shorter (may cut UTF-8) */
	case 2: if (b->n && b->s[0] >= 'a' && b->s[0] <= 'z') b->s[0] ^= 0x20; break;  /* case */
	case 3: {                                                         /* a prefix in front */
		struct str c = { .n = 0 };
		put(&c, alphabet[below(N_ALPHABET)]);
		put(&c, b->s);
		*b = c;
		break;
	}
	default: put(b, " "); break;
	}
}

struct gen_image {
	int has_name, has_source, source_null;
	struct str name, source;
	int vis;                        /* -1: absent */
	int nested;                     /* OSC shape: properties {} */
};

static void gen_image(const struct ref_policy *rp, struct gen_image *g)
{
	const struct ref_entry *e = &rp->e[below((unsigned)rp->n)];

	memset(g, 0, sizeof(*g));
	g->has_name = !chance(5);
	if (chance(10))
		put_random(&g->name, 0, 10);
	else if (e->scheme.n)
		g->name = e->sample;
	else
		g->name = e->name;
	if (e->scheme.n && chance(40))
		put_random(&g->name, 1, 4);         /* re.match need not reach the end */
	if (chance(30))
		vary(&g->name);
	utf8_repair(&g->name);

	g->has_source = !chance(10);
	g->source_null = chance(5);
	unsigned how = below(6);
	if (how == 0 || how == 1) {
		g->source = e->sources[below((unsigned)e->n_sources)];
		if (how == 1)
			put_random(&g->source, 1, 8);
	} else if (how == 2) {
		g->source = e->sources[below((unsigned)e->n_sources)];
		vary(&g->source);
	} else if (how == 3) {
		put(&g->source, "");
	} else if (how == 4) {
		const struct ref_entry *o = &rp->e[below((unsigned)rp->n)];
		g->source = o->sources[below((unsigned)o->n_sources)];
		put_random(&g->source, 0, 3);
	} else {
		gen_url(&g->source);
	}
	utf8_repair(&g->source);
	g->vis = chance(15) ? -1 : (int)below(VIS_COUNT);
	g->nested = chance(30);
}

static char *image_json(const struct gen_image *g)
{
	json_t *o = json_object(), *props = g->nested ? json_object() : NULL;
	json_t *where = g->nested ? props : o;

	if (g->has_name)
		json_object_set_new(o, "name", json_string(g->name.s));
	if (g->has_source)
		json_object_set_new(where, "image_source", g->source_null ? json_null() : json_string(g->source.s));
	if (g->vis >= 0)
		json_object_set_new(o, "visibility", json_string(visibility_name((enum visibility)g->vis)));
	json_object_set_new(o, "os_distro", json_string("ubuntu"));
	if (props)
		json_object_set_new(o, "properties", props);
	char *text = json_dumps(o, JSON_COMPACT | (g->nested ? JSON_ENSURE_ASCII : 0));
	json_decref(o);
	return text;
}

/* ---- the property --------------------------------------------------------- */

static long cases_wanted(void)
{
	const char *env = getenv("PROPERTY_CASES");
	if (env && *env)
		return strtol(env, NULL, 10);
	return RUNNING_ON_VALGRIND ? 20000 : 100000;
}

START_TEST(decide_agrees_with_reference)
{
	const char *env = getenv("PROPERTY_SEED");
	uint64_t seed = env && *env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	long wanted = cases_wanted(), cases = 0;
	long selected = 0, violating = 0, per_action[3] = { 0 };
	static struct ref_policy rp;
	static struct text spec_yaml;
	static char shown[10240];
	char config[512];
	struct timespec t0, t1;

	rng = seed;
	printf("property: seed %llu (PROPERTY_SEED=%llu repeats this run), %ld cases\n", (unsigned long long)seed,
	       (unsigned long long)seed, wanted);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (cases < wanted) {
		gen_policy(&rp, &spec_yaml, config, sizeof(config));
		struct policy *p = load_generated(&spec_yaml, config, shown, sizeof(shown));
		ck_assert_uint_eq(p->n_entries, rp.n);

		for (int k = 0; k < IMAGES_PER_POLICY && cases < wanted; k++, cases++) {
			struct gen_image g;
			struct image img = { 0 };
			struct caller who = { 0 };
			struct decision d;
			char err[256];

			gen_image(&rp, &g);
			char *json = image_json(&g);
			ck_assert_msg(image_parse(&img, json, strlen(json), err, sizeof(err)) == 0, "%s: %s", json, err);
			decide(p, &img, &who, date_parse("2026-11-21"), &d);

			/* the reference, in plain words */
			const char *name = g.has_name ? g.name.s : NULL;
			const char *src = g.has_source && !g.source_null ? g.source.s : NULL;
			enum visibility vis = g.vis >= 0 ? (enum visibility)g.vis : VIS_SHARED;
			enum mode mode = rp.mode < rp.scope[vis] ? rp.mode : rp.scope[vis];
			size_t want_v[MAX_ENTRIES], n_want = 0;
			int any = 0;
			for (size_t i = 0; i < rp.n; i++) {
				if (!ref_selects(&rp.e[i], name))
					continue;
				any = 1;
				if (!ref_source_ok(&rp.e[i], src))
					want_v[n_want++] = i;
			}
			/* a selected image's image_source must be a URL in canonical form
			 * (uri.c is the definition of that form; its own tests are test_uri.c) */
			char canon[URI_MAX];
			const char *why;
			int noncanon = any && src && *src &&
				       (uri_canonical(src, canon, sizeof(canon), &why) < 0 || strcmp(canon, src));
			size_t n_all = n_want + (size_t)noncanon;
			size_t n_kept = n_all < DECIDE_MAX_VIOLATIONS ? n_all : DECIDE_MAX_VIOLATIONS;
			enum action want = !n_all ? ACTION_ALLOW : mode == MODE_ENFORCE ? ACTION_DENY
								 : mode == MODE_WARN ? ACTION_WARN : ACTION_ALLOW;

			int same = d.action == want && d.mode == mode && d.n == n_kept && d.n_more == n_all - n_kept;
			if (same && noncanon && n_kept == n_all)
				same = !strcmp(d.v[n_want].rule, "scs-0104/source-canonical");
			for (size_t i = 0; same && i < n_want && i < n_kept; i++) {
				const struct violation *v = &d.v[i];
				same = !strcmp(v->rule, "scs-0104/source") && v->kind == V_SOURCE &&
				       !strcmp(v->spec, rp.e[want_v[i]].name.s) &&
				       ((!v->actual && !src) || (v->actual && src && !strcmp(v->actual, src)));
			}
			ck_assert_msg(same,
				      "seed %llu case %ld: decide says %s (mode %s, %zu violations%s%s), the reference "
				      "%s (mode %s, %zu violations%s%s)\nimage: %s\n%s",
				      (unsigned long long)seed, cases, action_name(d.action), mode_name(d.mode), d.n,
				      d.n ? ", first " : "", d.n ? d.v[0].spec : "", action_name(want), mode_name(mode),
				      n_want, n_want ? ", first " : "", n_want ? rp.e[want_v[0]].name.s : "", json, shown);
			selected += any;
			violating += n_want > 0;   /* the prefix logic's balance */
			per_action[want]++;
			free(json);
			image_release(&img);
		}
		for (size_t i = 0; i < rp.n; i++)
			pcre2_code_free(rp.e[i].code);
		policy_free(p);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("property: %ld cases on %ld policies agree in %.2f s: %ld selected an entry, %ld violated, "
	       "allow %ld, warn %ld, deny %ld\n", cases, (cases + IMAGES_PER_POLICY - 1) / IMAGES_PER_POLICY,
	       secs, selected, violating, per_action[ACTION_ALLOW], per_action[ACTION_WARN], per_action[ACTION_DENY]);
	/* a generator that never hits the interesting cases would prove nothing */
	if (cases >= 1000) {
		ck_assert_msg(selected > cases / 4, "only %ld of %ld images selected an entry", selected, cases);
		ck_assert_msg(violating > cases / 10 && selected - violating > cases / 10,
			      "%ld violating of %ld selected: the generator is lopsided", violating, selected);
		ck_assert_msg(per_action[ACTION_WARN] && per_action[ACTION_DENY], "some action never came up");
	}
}
END_TEST

Suite *suite_property(void)
{
	Suite *s = suite_create("property");
	TCase *tc = tcase_create("decide");
	tcase_set_timeout(tc, 600);     /* 100000 cases take a few seconds, longer under ASan */
	tcase_add_test(tc, decide_agrees_with_reference);
	suite_add_tcase(s, tc);
	return s;
}
