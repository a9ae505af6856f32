/* violation: the table of violation kinds and their words; see violation.h. */
#include "core/violation.h"
#include "core/uri.h"
#include "core/util.h"

#include <stdio.h>
#include <string.h>

#define VALUE_MAX 160

/* ---- the words of each kind ------------------------------------------------ */

/* Print s, cut at a UTF-8 character boundary after at most max bytes. */
static int put_cut(char *buf, size_t len, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n <= max)
		return snprintf(buf, len, "%s", s);
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return snprintf(buf, len, "%.*s...(%zu bytes)", (int)max, s, n);
}

/* snprintf may have cut the last character in half: drop the remnant. */
static void utf8_trim(char *buf)
{
	size_t n = strlen(buf), i = n;
	while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0 || (unsigned char)buf[i - 1] < 0xC0)
		return;             /* ends in ASCII or a complete sequence */
	unsigned char lead = (unsigned char)buf[i - 1];
	size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
	if (n - (i - 1) < want)
		buf[i - 1] = '\0';
}

/* " (canonical form 'X')" when u has one that differs from u, else "". */
static void canonical_note(const char *u, char *out, size_t len)
{
	char canon[URI_MAX], shown[VALUE_MAX + 32];
	const char *why;

	out[0] = '\0';
	if (!u || uri_canonical(u, canon, sizeof(canon), &why) < 0 || !strcmp(canon, u))
		return;
	put_cut(shown, sizeof(shown), canon, VALUE_MAX);
	snprintf(out, len, " (canonical form '%s')", shown);
}

static void w_source(const struct violation *v, const char *actual, char *buf, size_t len)
{
	if (!v->actual || !v->actual[0])
		snprintf(buf, len, "image_source is %s; '%s' images must name where they came from",
			 v->actual ? "empty" : "missing", v->spec);
	else
		snprintf(buf, len, "image_source '%s' does not start with any source allowed for '%s'", actual,
			 v->spec);
}

static void w_download_uri(const struct violation *v, const char *actual, char *buf, size_t len)
{
	char note[VALUE_MAX + 64];

	canonical_note(v->actual, note, sizeof(note));
	snprintf(buf, len, "web-download URI '%s'%s is not under any source allowed for '%s'", actual, note,
		 v->spec);
}

static void w_uri_refused(const struct violation *v, const char *actual, char *buf, size_t len)
{
	snprintf(buf, len, "web-download URI '%s' is refused: it %s", actual, v->why);
}

static void w_source_canonical(const struct violation *v, const char *actual, char *buf, size_t len)
{
	char note[VALUE_MAX + 64];

	if (v->why) {
		snprintf(buf, len, "image_source '%s' is not a canonical URL: it %s", actual, v->why);
		return;
	}
	canonical_note(v->actual, note, sizeof(note));
	snprintf(buf, len, "image_source '%s' is not in canonical form%s: a prefix match on a "
		 "non-canonical URL says nothing about where the data came from", actual, note);
}

static void w_download_uri_equal(const struct violation *v, const char *actual, char *buf, size_t len)
{
	char want[VALUE_MAX + 32];

	if (!v->n_expected) {
		snprintf(buf, len, "image_source is missing; import.download_uri: equal expects the "
			 "web-download URI '%s' as the image's image_source", actual);
		return;
	}
	put_cut(want, sizeof(want), v->expected[0], VALUE_MAX);
	snprintf(buf, len, "web-download URI '%s' is not the image's image_source: expected '%s' "
		 "(import.download_uri: equal)", actual, want);
}

static void w_property(const struct violation *v, const char *actual, char *buf, size_t len)
{
	if (v->actual)
		snprintf(buf, len, "property %s is '%s' but rule '%s' requires '%s'", v->key, actual, v->spec,
			 v->expected[0]);
	else
		snprintf(buf, len, "property %s is missing; rule '%s' requires '%s'", v->key, v->spec,
			 v->expected[0]);
}

static void w_version_format(const struct violation *v, const char *actual, char *buf, size_t len)
{
	if (v->actual)
		snprintf(buf, len, "os_version '%s' is not a %s version (format '%s')", actual, v->distro->name,
			 v->distro->version_format.pattern);
	else
		snprintf(buf, len, "os_version is missing; rule '%s' needs it to find the %s release", v->spec,
			 v->distro->name);
}

static void w_unknown_version(const struct violation *v, const char *actual, char *buf, size_t len)
{
	snprintf(buf, len, "os_version '%s' is not in the %s release table; add it under "
		 "distros.%s.releases in %s", actual, v->distro->name, v->distro->name, v->file);
}

static void w_metadata(const struct violation *v, const char *actual, char *buf, size_t len)
{
	const char *verb = v->advisory ? "recommends" : "requires";

	if (v->actual)
		snprintf(buf, len, "property %s '%s' %s; %s %s %s", v->key, actual, v->why, v->rule, verb,
			 v->expected[0]);
	else
		snprintf(buf, len, "property %s %s; %s %s %s", v->key, v->why, v->rule, verb, v->expected[0]);
}

static void w_regex_limit(const struct violation *v, const char *actual, char *buf, size_t len)
{
	snprintf(buf, len, "name_scheme '%s' of '%s' hit the regex match limit on this name; "
		 "refused to be safe (simplify the pattern)", actual, v->spec);
}

/* ---- the words of the origins (origins.h: what the vendor said) ------------- */

static void w_origin_checksum(const struct violation *v, const char *actual, char *buf, size_t len)
{
	const struct origin_expect *e = v->origin;

	snprintf(buf, len, "the data is not the vendor's '%s': its %s is %s, the vendor's list %s gives %s", e->file,
		 sums_algo_name(e->algo), actual, e->list_url, e->expected);
}

static void w_origin_declared(const struct violation *v, const char *actual, char *buf, size_t len)
{
	const struct origin_expect *e = v->origin;

	snprintf(buf, len, "%s '%s' is not the vendor's %s for '%s' in %s: %s", v->key, actual,
		 sums_algo_name(e->algo), e->file, e->list_url, e->expected);
}

/* unlisted, signature, list-invalid: the vendor's answer says it */
static void w_origin_failed(const struct violation *v, const char *actual, char *buf, size_t len)
{
	(void)actual;
	snprintf(buf, len, "the origin of '%s' cannot be verified: %s", v->origin->file, v->origin->why);
}

static void w_origin_unavailable(const struct violation *v, const char *actual, char *buf, size_t len)
{
	(void)actual;
	snprintf(buf, len, "the origin of '%s' cannot be verified: %s (failure_policy: %s)", v->origin->file,
		 v->origin->why, v->advisory ? "open, admitted" : "closed, refused");
}

/* ---- the words of the quotas: figures in full, the project uncut ---------- */

/* "50 GiB" when exact, else "1.5 GiB (1610612736 bytes)". */
static void fmt_bytes(unsigned long long b, char *out, size_t len)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB" };
	size_t u = 0;
	double x = (double)b;

	while (x >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		x /= 1024;
		u++;
	}
	if (u == 0 || (b & ((1ULL << (10 * u)) - 1)) == 0)
		snprintf(out, len, "%.0f %s", x, units[u]);
	else
		snprintf(out, len, "%.1f %s (%llu bytes)", x, units[u], b);
}

static void fmt_window(unsigned long long s, char *out, size_t len)
{
	if (s % 86400 == 0)
		snprintf(out, len, "%llud", s / 86400);
	else if (s % 3600 == 0)
		snprintf(out, len, "%lluh", s / 3600);
	else if (s % 60 == 0)
		snprintf(out, len, "%llum", s / 60);
	else
		snprintf(out, len, "%llus", s);
}

static const char *project(const struct violation *v)
{
	return v->actual ? v->actual : "(unknown project)";
}

static void w_quota_size(const struct violation *v, const char *actual, char *buf, size_t len)
{
	char limit[64], size[64];

	(void)actual;
	fmt_bytes(v->limit, limit, sizeof(limit));
	fmt_bytes(v->size, size, sizeof(size));
	snprintf(buf, len, "the image data (%s%s) exceeds the limit of %s per image (max_image_size, %s)",
		 v->used ? "more than " : "", size, limit, v->spec);
}

static void w_quota_total(const struct violation *v, const char *actual, char *buf, size_t len)
{
	char limit[64], used[64], size[64];

	(void)actual;
	fmt_bytes(v->limit, limit, sizeof(limit));
	fmt_bytes(v->used, used, sizeof(used));
	fmt_bytes(v->size, size, sizeof(size));
	snprintf(buf, len, "project %s stores %s of its %s (max_total_size, %s); %s%s more would exceed it",
		 project(v), used, limit, v->spec, v->size ? "" : "any data", v->size ? size : "");
}

static void w_quota_count(const struct violation *v, const char *actual, char *buf, size_t len)
{
	(void)actual;
	snprintf(buf, len, "project %s has %llu images; the limit is %llu (max_images, %s)", project(v), v->used,
		 v->limit, v->spec);
}

static void w_quota_rate(const struct violation *v, const char *actual, char *buf, size_t len)
{
	char window[64];

	(void)actual;
	fmt_window(v->size, window, sizeof(window));
	snprintf(buf, len, "project %s started %llu uploads in the last %s; the limit is %llu per %s "
		 "(uploads_per_window, %s)", project(v), v->used, window, v->limit, window, v->spec);
}

static void w_quota_concurrent(const struct violation *v, const char *actual, char *buf, size_t len)
{
	(void)actual;
	snprintf(buf, len, "project %s has %llu uploads or imports in progress; the limit is %llu "
		 "(max_concurrent_uploads, %s)", project(v), v->used, v->limit, v->spec);
}

/* ---- the table --------------------------------------------------------------- */

/* A kind's metrics label is its rule id, or one it shares with kinds like it. */
const struct violation_kind violation_kinds[V_COUNT] = {
	[V_SOURCE]             = { "scs-0104/source", "scs-0104/source", 0, w_source },
	[V_PROPERTY]           = { "scs-0104/property", "scs-0104/property", 0, w_property },
	[V_VERSION_FORMAT]     = { "scs-0104/property", "scs-0104/property", 0, w_version_format },
	[V_UNKNOWN_VERSION]    = { "scs-0104/unknown-version", "scs-0104/unknown-version", 0, w_unknown_version },
	[V_REGEX_LIMIT]        = { "scs-0104/source", "scs-0104/source", 0, w_regex_limit },
	[V_DOWNLOAD_URI]       = { "import/download-uri", "import/download-uri", 0, w_download_uri },
	[V_DOWNLOAD_URI_EQUAL] = { "import/download-uri", "import/download-uri", 0, w_download_uri_equal },
	[V_URI_REFUSED]        = { "import/download-uri", "import/download-uri", 0, w_uri_refused },
	[V_SOURCE_CANONICAL]   = { "scs-0104/source-canonical", "scs-0104/source", 0, w_source_canonical },
	[V_ORIGIN_CHECKSUM]    = { "origin/checksum", "origin/checksum", 0, w_origin_checksum },
	[V_ORIGIN_UNLISTED]    = { "origin/unlisted", "origin/unlisted", 0, w_origin_failed },
	[V_ORIGIN_SIGNATURE]   = { "origin/signature", "origin/signature", 0, w_origin_failed },
	[V_ORIGIN_UNAVAILABLE] = { "origin/unavailable", "origin/unavailable", 0, w_origin_unavailable },
	[V_ORIGIN_LIST_INVALID] = { "origin/list-invalid", "origin/list-invalid", 0, w_origin_failed },
	[V_ORIGIN_DECLARED]    = { "origin/declared", "origin/declared", 0, w_origin_declared },
	[V_QUOTA_SIZE]         = { "quota/image-size", "quota/image-size", 1, w_quota_size },
	[V_QUOTA_COUNT]        = { "quota/image-count", "quota/image-count", 1, w_quota_count },
	[V_QUOTA_TOTAL]        = { "quota/total-size", "quota/total-size", 1, w_quota_total },
	[V_QUOTA_RATE]         = { "quota/upload-rate", "quota/upload-rate", 1, w_quota_rate },
	[V_QUOTA_CONCURRENT]   = { "quota/concurrent-uploads", "quota/concurrent-uploads", 1, w_quota_concurrent },
	[V_METADATA]           = { NULL, "other", 0, w_metadata },
};

struct violation *violation_add(struct decision *d, enum vkind kind, const char *spec, const char *file,
				unsigned line)
{
	if (d->n == DECIDE_MAX_VIOLATIONS) {
		d->n_more++;
		return NULL;
	}
	struct violation *v = &d->v[d->n++];
	memset(v, 0, sizeof(*v));
	v->rule = violation_kinds[kind].rule;
	v->spec = spec;
	v->file = file;
	v->line = line;
	v->kind = kind;
	return v;
}

enum action violation_action(enum mode mode)
{
	return mode == MODE_ENFORCE ? ACTION_DENY : mode == MODE_WARN ? ACTION_WARN : ACTION_ALLOW;
}

void violation_message(const struct violation *v, char *buf, size_t len)
{
	char actual[VALUE_MAX + 32] = "";

	if (v->actual)
		put_cut(actual, sizeof(actual), v->actual, VALUE_MAX);
	violation_kinds[v->kind].words(v, actual, buf, len);
	utf8_trim(buf);
}

#define HINT_SHOWN 4         /* allowed values named before "and N more" */

void violation_hint(const struct violation *v, char *buf, size_t len)
{
	char one[VALUE_MAX + 32];
	size_t o = 0, n = v->n_expected < HINT_SHOWN ? v->n_expected : HINT_SHOWN;

	buf[0] = '\0';
	/* the other kinds' words name what is expected, or have no list */
	if ((v->kind != V_SOURCE && v->kind != V_DOWNLOAD_URI) || !v->n_expected)
		return;
	o += (size_t)snprintf(buf, len, "allowed source%s: ", v->n_expected > 1 ? "s" : "");
	for (size_t i = 0; i < n && o < len; i++) {
		put_cut(one, sizeof(one), v->expected[i], VALUE_MAX);
		o += (size_t)snprintf(buf + o, len - o, "%s'%s'", i ? ", " : "", one);
	}
	if (v->n_expected > n && o < len)
		snprintf(buf + o, len - o, " and %zu more", v->n_expected - n);
	utf8_trim(buf);
}

const char *action_name(enum action a)
{
	static const char *const names[] = { "allow", "warn", "deny" };
	return names[a];
}
