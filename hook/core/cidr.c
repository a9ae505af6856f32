/* cidr: the config's trusted fronts as address ranges; see cidr.h. The
 * proxy keeps forwarding fields (X-Forwarded-*, Forwarded) only from a
 * peer in one of them, and believes the client address they name only
 * then: anyone else could write them. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* text as an address of either family into a, IPv4-mapped IPv6 as IPv4. */
static int address(const char *text, int *family, unsigned char a[16])
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET, text, a) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a) != 1)
		return -1;
	*family = AF_INET6;
	if (!memcmp(a, mapped, sizeof(mapped))) {
		memmove(a, a + 12, 4);
		*family = AF_INET;
	}
	return 0;
}

int cidr_parse(const char *text, struct cidr *out)
{
	char host[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);

	if (n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(out, 0, sizeof(*out));
	if (address(host, &out->family, out->addr) < 0)
		return -1;
	unsigned max = out->family == AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		unsigned long b = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || b > max || slash[1] == '+' || slash[1] == '-')
			return -1;
		out->bits = (unsigned)b;
	}
	return 0;
}

static int in(const struct cidr *r, int family, const unsigned char a[16])
{
	unsigned full = r->bits / 8, rest = r->bits % 8;

	if (r->family != family || memcmp(r->addr, a, full))
		return 0;
	return !rest || !((r->addr[full] ^ a[full]) & (unsigned char)(0xff << (8 - rest)));
}

int cidr_any(const struct cidr *ranges, size_t n, const char *text)
{
	unsigned char a[16];
	int family;

	if (address(text, &family, a) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (in(&ranges[i], family, a))
			return 1;
	return 0;
}

static int is_address(const char *text)
{
	unsigned char a[16];
	int family;
	return address(text, &family, a) == 0;
}

void cidr_client(const struct cidr *fronts, size_t n, const char *peer, const char *xff, size_t len, char *out,
		 size_t outlen)
{
	char one[64];

	snprintf(out, outlen, "%s", peer);
	if (!xff || !cidr_any(fronts, n, peer))
		return;
	while (len) {
		size_t end = len, start;
		while (end && (xff[end - 1] == ' ' || xff[end - 1] == '\t'))
			end--;
		for (start = end; start && xff[start - 1] != ','; start--)
			;
		len = start ? start - 1 : 0;
		while (start < end && (xff[start] == ' ' || xff[start] == '\t'))
			start++;
		if (end - start >= sizeof(one))
			return;
		memcpy(one, xff + start, end - start);
		one[end - start] = '\0';
		if (!is_address(one))
			return;
		snprintf(out, outlen, "%s", one);
		if (!cidr_any(fronts, n, one))
			return;
	}
}
