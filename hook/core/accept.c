/* accept: which shape an error answer takes for a request's Accept, as
 * Glance's webob (1.8) chooses it: of text/html and application/json the
 * acceptable one of the higher quality, text/html first on a tie; neither
 * acceptable gives text/plain. No Accept, or one that does not parse, is
 * "anything" (text/html), as webob reads it. glanceclient sends "any
 * type" (star-slash-star): it
 * reads text/html answers line by line and JSON ones only as nested
 * objects, so answering it as Glance does is what makes it show them. */
#include "core/accept.h"

#include <string.h>
#include <strings.h>

static int ows(char c)
{
	return c == ' ' || c == '\t';
}

static int tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A qvalue ("0", "0.5", "1.000") in thousandths, or -1. */
static int qvalue(const char *s, size_t n)
{
	int q = 0, scale = 1000;

	if (!n || (s[0] != '0' && s[0] != '1') || n > 5 || (n > 1 && s[1] != '.'))
		return -1;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
			return -1;
		scale /= 10;
		q += (s[i] - '0') * scale;
	}
	return s[0] == '1' ? 1000 : q;
}

/* How specifically range type/sub matches the offer "type/sub": 3 exact,
 * 2 any subtype, 1 any type, 0 not at all. */
static int specificity(const char *r, size_t tn, const char *sub, size_t sn, const char *offer)
{
	const char *slash = strchr(offer, '/');
	size_t otn = (size_t)(slash - offer);

	if (tn == 1 && r[0] == '*')
		return sn == 1 && sub[0] == '*' ? 1 : 0;
	if (tn != otn || strncasecmp(r, offer, tn))
		return 0;
	if (sn == 1 && sub[0] == '*')
		return 2;
	return strlen(slash + 1) == sn && !strncasecmp(sub, slash + 1, sn) ? 3 : 0;
}

/* One media range at s (up to its ',' or the end): the quality it gives
 * each offer where it is the most specific so far. 0, or -1 unparsable. */
static int one_range(const char *s, size_t n, const char *const *offers, int *q, int *spec)
{
	size_t i = 0, t0, tn, s0, sn;
	int quality = 1000, typed = 0;     /* typed: a media type parameter (before q) */

	t0 = i;
	while (i < n && tchar(s[i]))
		i++;
	tn = i - t0;
	if (!tn || i >= n || s[i++] != '/')
		return -1;
	s0 = i;
	while (i < n && tchar(s[i]))
		i++;
	sn = i - s0;
	if (!sn)
		return -1;
	while (i < n) {                 /* parameters: only q matters */
		while (i < n && ows(s[i]))
			i++;
		if (i == n)
			break;
		if (s[i++] != ';')
			return -1;
		while (i < n && ows(s[i]))
			i++;
		size_t k0 = i;
		while (i < n && tchar(s[i]))
			i++;
		size_t kn = i - k0;
		if (!kn || i >= n || s[i++] != '=')
			return -1;
		size_t v0 = i;
		if (i < n && s[i] == '"') {
			for (i++; i < n && s[i] != '"'; i++)
				if (s[i] == '\\')
					i++;
			if (i++ >= n)
				return -1;
		} else {
			while (i < n && tchar(s[i]))
				i++;
		}
		if (kn == 1 && (s[k0] == 'q' || s[k0] == 'Q')) {
			if ((quality = qvalue(s + v0, i - v0)) < 0)
				return -1;
			break;          /* what follows q is accept-ext, not the type's */
		}
		typed = 1;
	}
	for (int o = 0; offers[o]; o++) {
		int sp = specificity(s + t0, tn, s + s0, sn, offers[o]);
		/* webob: a range with parameters names a type no offer has */
		if (typed && sp == 3)
			sp = 0;
		if (sp > spec[o]) {
			spec[o] = sp;
			q[o] = quality;
		}
	}
	return 0;
}

enum accept_shape accept_shape(const char *value, size_t len)
{
	static const char *const offers[] = { "text/html", "application/json", NULL };
	int q[2] = { 0, 0 }, spec[2] = { 0, 0 };
	size_t i = 0;

	if (!value)
		return ACCEPT_HTML;
	while (i < len) {
		while (i < len && (ows(value[i]) || value[i] == ','))
			i++;
		size_t start = i;
		int quoted = 0;
		while (i < len && (quoted || value[i] != ',')) {
			if (value[i] == '"')
				quoted = !quoted;
			i++;
		}
		size_t end = i;
		while (end > start && ows(value[end - 1]))
			end--;
		if (end > start && one_range(value + start, end - start, offers, q, spec) < 0)
			return ACCEPT_HTML;     /* webob: an invalid Accept is as none */
	}
	if (!q[0] && !q[1])
		return ACCEPT_PLAIN;
	return q[1] > q[0] ? ACCEPT_JSON : ACCEPT_HTML;
}
