/* yconf: typed reading of ydoc nodes; see yconf.h. */
#include "core/yconf.h"
#include "core/policy.h"
#include "core/util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int yc_fail(struct yconf *y, const struct ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr_at(y->err, y->errlen, y->path, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	return -1;
}

int yc_want(struct yconf *y, const struct ynode *n, enum ynode_kind kind, const char *what)
{
	if (n->kind == kind)
		return 0;
	return yc_fail(y, n, "%s must be %s, not %s", what, ynode_kind_name(kind),
		     ynode_kind_name(n->kind));
}

int yc_keys(struct yconf *y, const struct ynode *map, const char *const *allowed,
		      const char *what)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = ymap_key(map, i);
		size_t j;
		for (j = 0; allowed[j]; j++)
			if (strcmp(k->value, allowed[j]) == 0)
				break;
		if (allowed[j])
			continue;
		char list[256] = "";
		for (j = 0; allowed[j]; j++) {
			strncat(list, j ? ", " : "", sizeof(list) - strlen(list) - 1);
			strncat(list, allowed[j], sizeof(list) - strlen(list) - 1);
		}
		return yc_fail(y, k, "unknown key '%s' in %s (expected one of: %s)", k->value, what, list);
	}
	return 0;
}

int yc_need(struct yconf *y, const struct ynode *map, const char *key, const char *what,
		    struct ynode **out)
{
	*out = ymap_get(map, key);
	if (*out)
		return 0;
	return yc_fail(y, map, "%s needs a '%s' key", what, key);
}

int yc_string(struct yconf *y, const struct ynode *n, const char *what, char **out)
{
	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	if (!n->value[0] || (!n->quoted && (!strcmp(n->value, "~") || !strcmp(n->value, "null"))))
		return yc_fail(y, n, "%s must not be empty", what);
	*out = xstrdup(n->value);
	return 0;
}

int yc_strings(struct yconf *y, const struct ynode *n, const char *what,
			   char ***out, size_t *count)
{
	if (n->kind == YNODE_SCALAR) {
		*out = xcalloc(1, sizeof(char *));
		*count = 1;
		return yc_string(y, n, what, &(*out)[0]);
	}
	if (yc_want(y, n, YNODE_SEQ, what) < 0)
		return -1;
	if (n->n == 0)
		return yc_fail(y, n, "%s must list at least one value", what);
	*out = xcalloc(n->n, sizeof(char *));
	*count = n->n;
	for (size_t i = 0; i < n->n; i++)
		if (yc_string(y, n->items[i], what, &(*out)[i]) < 0)
			return -1;
	return 0;
}

int yc_bool(struct yconf *y, const struct ynode *n, const char *what, int *out)
{
	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	if (!n->quoted && !strcmp(n->value, "true"))
		*out = 1;
	else if (!n->quoted && !strcmp(n->value, "false"))
		*out = 0;
	else
		return yc_fail(y, n, "%s must be true or false, not '%s'", what, n->value);
	return 0;
}

int yc_date(struct yconf *y, const struct ynode *n, const char *what, int *out)
{
	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	*out = date_parse(n->value);
	if (*out < 0)
		return yc_fail(y, n, "%s must be a date YYYY-MM-DD, not '%s'", what, n->value);
	return 0;
}

int yc_enum(struct yconf *y, const struct ynode *n, const char *what,
		    const char *const *names, int count, int *out)
{
	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	for (int i = 0; i < count; i++)
		if (names[i] && !strcmp(n->value, names[i])) {
			*out = i;
			return 0;
		}
	char list[128] = "";
	for (int i = 0; i < count; i++)
		if (names[i]) {
			strncat(list, list[0] ? "|" : "", sizeof(list) - strlen(list) - 1);
			strncat(list, names[i], sizeof(list) - strlen(list) - 1);
		}
	return yc_fail(y, n, "%s must be one of %s, not '%s'", what, list, n->value);
}

int yc_uint(struct yconf *y, const struct ynode *n, const char *what, unsigned long long min,
	    unsigned long long max, unsigned long long *out)
{
	char *end;

	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	errno = 0;
	unsigned long long v = strtoull(n->value, &end, 10);
	if (n->value[0] < '0' || n->value[0] > '9' || *end || errno || v < min || v > max)
		return yc_fail(y, n, "%s must be a whole number from %llu to %llu, not '%s'", what, min, max,
			       n->value);
	*out = v;
	return 0;
}

int yc_duration_ms(struct yconf *y, const struct ynode *n, const char *what, long *out)
{
	static const struct { const char *unit; long ms; } units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 }, { "", 1000 },
	};
	char *end;

	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	errno = 0;
	long v = strtol(n->value, &end, 10);
	if (n->value[0] >= '0' && n->value[0] <= '9' && !errno)
		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if (!strcmp(end, units[i].unit) && v <= 30L * 86400000 / units[i].ms) {
				*out = v * units[i].ms;
				return 0;
			}
	return yc_fail(y, n, "%s must be a duration like 30s, 500ms, 5m or 1h, not '%s'", what, n->value);
}

int yc_size(struct yconf *y, const struct ynode *n, const char *what, unsigned long long *out)
{
	static const struct { const char *unit; unsigned long long bytes; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KiB", 1ULL << 10 }, { "MiB", 1ULL << 20 }, { "GiB", 1ULL << 30 },
		{ "TiB", 1ULL << 40 }, { "PiB", 1ULL << 50 }, { "KB", 1000ULL }, { "MB", 1000000ULL },
		{ "GB", 1000000000ULL }, { "TB", 1000000000000ULL }, { "PB", 1000000000000000ULL },
	};
	char *end;

	if (yc_want(y, n, YNODE_SCALAR, what) < 0)
		return -1;
	errno = 0;
	unsigned long long v = strtoull(n->value, &end, 10);
	const char *unit = end + strspn(end, " ");
	if (n->value[0] >= '0' && n->value[0] <= '9' && !errno)
		for (size_t i = 0; i < ARRAY_SIZE(units); i++)
			if (!strcmp(unit, units[i].unit) && (unit == end || units[i].unit[0]) &&
			    v <= (1ULL << 62) / units[i].bytes) {
				*out = v * units[i].bytes;
				return 0;
			}
	return yc_fail(y, n, "%s must be a size like 50GiB, 512MiB or 1TB (whole numbers; KiB/MiB/GiB/TiB "
		       "are powers of 1024, KB/MB/GB/TB of 1000), not '%s'", what, n->value);
}
