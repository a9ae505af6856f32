/* proof: the verification record; see proof.h. The line is parsed back
 * field by field in the one order proof_format writes, each value checked
 * for its form: a record is a fact the hook wrote, and anything else
 * (another order, an extra space, a field it never writes) is not one. */
#include "core/proof.h"
#include "core/date.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum field { F_IMAGE, F_ALGO, F_DIGEST, F_GLANCE, F_SIZE, F_SOURCE, F_LIST, F_SIGNER, F_TIME, F_COUNT };
static const char *const names[F_COUNT] = {
	"image", "algo", "digest", "glance", "size", "source", "list", "signer", "time",
};

static int all(const char *s, size_t n, int (*ok)(int))
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	return 1;
}

static int lowhex(int c) { return isdigit(c) || (c >= 'a' && c <= 'f'); }
static int uphex(int c) { return isdigit(c) || (c >= 'A' && c <= 'F'); }
static int idchar(int c) { return isalnum(c) || c == '-'; }
static int algochar(int c) { return islower(c) || isdigit(c) || c == '_'; }
static int urlchar(int c) { return c > 0x20 && c < 0x7f; }
static int digit(int c) { return isdigit(c); }

static int is_hex_of(const char *s, size_t n, enum sums_algo algo)
{
	return n == sums_hex_len(algo) && all(s, n, lowhex);
}

static int is_signer(const char *s, size_t n)
{
	return (n == 8 && !strncmp(s, "unsigned", 8)) || (n == ORIGIN_FPR_LEN && all(s, n, uphex));
}

static void iso(long long t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int proof_format(const struct proof *p, char *out, size_t len)
{
	char when[21];
	size_t n;

	if (!all(p->image, strlen(p->image), idchar) || !is_hex_of(p->digest, strlen(p->digest), p->algo) ||
	    !all(p->glance_algo, strlen(p->glance_algo), algochar) ||
	    !all(p->glance_hash, strlen(p->glance_hash), lowhex) || p->size < 0 ||
	    !all(p->source, strlen(p->source), urlchar) || !all(p->list, strlen(p->list), urlchar) ||
	    !is_signer(p->signer, strlen(p->signer)) || p->time < 0 || p->time > 253402300799LL)
		return -1;
	iso(p->time, when);
	n = (size_t)snprintf(out, len, "v1 image=%s algo=%s digest=%s glance=%s:%s size=%lld source=%s list=%s "
			     "signer=%s time=%s", p->image, sums_algo_name(p->algo), p->digest, p->glance_algo,
			     p->glance_hash, p->size, p->source, p->list, p->signer, when);
	return n < len ? 0 : -1;
}

static int copy(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" and nothing else. */
static int time_parse(const char *s, size_t n, long long *out)
{
	char buf[21];
	int y, mo, d, h, mi, sec;

	if (n != 20 || s[19] != 'Z')
		return -1;
	memcpy(buf, s, 20);
	buf[20] = '\0';
	if (sscanf(buf, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &sec) != 6 || h > 23 || mi > 59 ||
	    sec > 59)
		return -1;
	char day[11];
	memcpy(day, s, 10);
	day[10] = '\0';
	int days = date_parse(day);
	if (days < 0)
		return -1;
	*out = (long long)days * 86400 + h * 3600 + mi * 60 + sec;
	char again[21];
	iso(*out, again);
	return memcmp(again, s, 20) ? -1 : 0;
}

static int field_set(struct proof *p, enum field f, const char *v, size_t n)
{
	const char *colon;

	switch (f) {
	case F_IMAGE:
		return all(v, n, idchar) ? copy(p->image, sizeof(p->image), v, n) : -1;
	case F_ALGO:
		return sums_algo_parse(v, n, &p->algo);
	case F_DIGEST:
		return is_hex_of(v, n, p->algo) ? copy(p->digest, sizeof(p->digest), v, n) : -1;
	case F_GLANCE:
		colon = memchr(v, ':', n);
		if (!colon || !all(v, (size_t)(colon - v), algochar) ||
		    !all(colon + 1, n - (size_t)(colon - v) - 1, lowhex))
			return -1;
		return copy(p->glance_algo, sizeof(p->glance_algo), v, (size_t)(colon - v)) ||
		       copy(p->glance_hash, sizeof(p->glance_hash), colon + 1, n - (size_t)(colon - v) - 1) ? -1 : 0;
	case F_SIZE:
		if (!all(v, n, digit) || n > 18 || (n > 1 && v[0] == '0'))
			return -1;
		p->size = strtoll(v, NULL, 10);
		return 0;
	case F_SOURCE:
		return all(v, n, urlchar) ? copy(p->source, sizeof(p->source), v, n) : -1;
	case F_LIST:
		return all(v, n, urlchar) ? copy(p->list, sizeof(p->list), v, n) : -1;
	case F_SIGNER:
		return is_signer(v, n) ? copy(p->signer, sizeof(p->signer), v, n) : -1;
	case F_TIME:
		return time_parse(v, n, &p->time);
	default:
		return -1;
	}
}

int proof_parse(const char *text, struct proof *p, char *err, size_t errlen)
{
	const char *s = text;

	memset(p, 0, sizeof(*p));
	if (!text || strncmp(text, "v1 ", 3))
		return snprintf(err, errlen, "not a v1 verification record"), -1;
	if (strlen(text) >= PROOF_MAX)
		return snprintf(err, errlen, "longer than a verification record"), -1;
	s += 3;
	for (enum field f = F_IMAGE; f < F_COUNT; f++) {
		size_t klen = strlen(names[f]);
		if (strncmp(s, names[f], klen) || s[klen] != '=')
			return snprintf(err, errlen, "field %u is not '%s='", (unsigned)f + 1, names[f]), -1;
		s += klen + 1;
		size_t n = strcspn(s, " ");
		if (field_set(p, f, s, n) < 0)
			return snprintf(err, errlen, "the value of '%s' is not of its form", names[f]), -1;
		s += n;
		if (*s == ' ' && f + 1 < F_COUNT)
			s++;
		else if (*s || f + 1 < F_COUNT)
			return snprintf(err, errlen, "%s after '%s'", *s ? "more" : "nothing", names[f]), -1;
	}
	return 0;
}

const char *proof_mismatch(const struct proof *p, const struct image *img, const char *canonical_source)
{
	enum prop_type t;
	const char *algo = image_prop(img, "os_hash_algo"), *hash = image_prop(img, "os_hash_value");
	const char *size = image_scalar(img, "size", &t);

	if (!img->id || strcmp(p->image, img->id))
		return "it was written for another image";
	if (!algo || !hash || strcmp(algo, p->glance_algo) || strcmp(hash, p->glance_hash))
		return "Glance's digest of the data is not the one it was verified with";
	if (!size || t != PROP_OTHER || strtoll(size, NULL, 10) != p->size || !all(size, strlen(size), digit))
		return "the data's size is not the one it was verified with";
	if (!canonical_source || strcmp(canonical_source, p->source))
		return "image_source is not the file it was verified for";
	return NULL;
}

int proof_of(const struct image *img, struct proof *p, char *err, size_t errlen)
{
	const char *v = image_prop(img, PROOF_KEY);

	if (!v)
		return 0;
	return proof_parse(v, p, err, errlen) < 0 ? -1 : 1;
}
