/* testcase: the SCS-0104 testcase ids; see testcase.h. The lengths cut
 * (%.170s) keep a line id within the 192 bytes audit gives it. */
#include "core/testcase.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>

/* Upstream's derivation: lower case, dots dropped, anything else not a
 * letter or digit a dash. */
char *testcase_from_name(const char *name)
{
	char *id = xstrdup(name), *o = id;
	for (const char *c = name; *c; c++)
		if (*c != '.')
			*o++ = isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '-';
	*o = '\0';
	return id;
}

void testcase_source(const struct spec_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "scs-0104-source-%.170s", e->testcase);
}

void testcase_image(const struct spec_entry *e, char *buf, size_t len)
{
	snprintf(buf, len, "scs-0104-image-%.170s", e->testcase);
}

void testcase_v2_source(const struct v2_rule *r, char *buf, size_t len)
{
	snprintf(buf, len, "scs-0104-v2-source-%.170s", r->id);
}

void testcase_presence(const struct presence_rule *r, size_t k, const struct release *rel, char *buf, size_t len)
{
	char ver[32];
	size_t j = 0;

	if (!rel) {
		snprintf(buf, len, "v2-image-named-%zu", k + 1);
		return;
	}
	for (const char *c = rel->version; *c && j < sizeof(ver) - 1; c++)
		if (*c != '.')
			ver[j++] = *c;
	ver[j] = '\0';
	snprintf(buf, len, "v2-image-%s-%s", r->distro->name, ver);
}

void testcase_presence_line(const char *id, char *buf, size_t len)
{
	snprintf(buf, len, "scs-0104-%.170s", id);
}
