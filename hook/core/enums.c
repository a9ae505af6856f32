/* enums: the names of the policy's enumerations, as the files write them. */
#include "core/enums.h"
#include "core/yconf.h"

#include <string.h>

static const char *const mode_names[] = { "dry-run", "warn", "enforce" };
static const char *const status_names[] = { "optional", "recommended", "mandatory" };
static const char *const download_uri_names[] = { "prefix", "equal", "off" };

int mode_get(struct yconf *y, const struct ynode *n, const char *what, enum mode *out)
{
	int v;
	if (yc_enum(y, n, what, mode_names, 3, &v) < 0)
		return -1;
	*out = (enum mode)v;
	return 0;
}

int status_get(struct yconf *y, const struct ynode *n, const char *what, enum status *out)
{
	int v;
	if (yc_enum(y, n, what, status_names, 3, &v) < 0)
		return -1;
	*out = (enum status)v;
	return 0;
}

int download_uri_get(struct yconf *y, const struct ynode *n, const char *what, enum download_uri *out)
{
	int v;
	if (yc_enum(y, n, what, download_uri_names, 3, &v) < 0)
		return -1;
	*out = (enum download_uri)v;
	return 0;
}

const char *mode_name(enum mode m) { return mode_names[m]; }
const char *status_name(enum status s) { return status_names[s]; }
const char *download_uri_name(enum download_uri u) { return download_uri_names[u]; }

int mode_parse(const char *s, enum mode *out)
{
	for (int m = 0; m < 3; m++)
		if (!strcmp(s, mode_names[m])) {
			*out = (enum mode)m;
			return 0;
		}
	return -1;
}
