/* diskfmt: qcow2 or raw, from the first bytes; see diskfmt.h. The qcow2
 * header (version 2 and 3) is big-endian: magic "QFI\xfb" (0), version
 * (4), backing_file_offset (8), backing_file_size (16), cluster_bits (20),
 * size (24). */
#include "core/diskfmt.h"

#include <string.h>

static unsigned long long be(const unsigned char *p, int n)
{
	unsigned long long v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int diskfmt_sniff(const unsigned char *head, size_t len, struct diskfmt *out)
{
	memset(out, 0, sizeof(*out));
	out->format = "raw";
	if (len < 4 || memcmp(head, "QFI\xfb", 4))
		return 0;
	out->format = "qcow2";
	if (len < 32)
		return -1;
	unsigned long long version = be(head + 4, 4), cluster_bits = be(head + 20, 4);
	if ((version != 2 && version != 3) || cluster_bits < 9 || cluster_bits > 21)
		return -1;
	out->backing = be(head + 8, 8) != 0;
	out->virtual_size = be(head + 24, 8);
	return 0;
}

int diskfmt_gib(unsigned long long bytes)
{
	unsigned long long gib = (bytes + (1ull << 30) - 1) >> 30;
	return gib > 1u << 20 ? 1 << 20 : (int)gib;
}
