/* cidr: addresses and address ranges (CIDR) of the config's trusted
 * fronts, and whether a client address lies in one. Pure: no I/O. */
#ifndef SCS_CIDR_H
#define SCS_CIDR_H

#include <stddef.h>

struct cidr {
	int family;                 /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	unsigned bits;              /* the prefix length */
};

/* "10.0.0.0/8", "192.0.2.1", "2001:db8::/32", "::1". 0, or -1. */
int cidr_parse(const char *text, struct cidr *out);
/* Whether the textual address (IPv4, IPv6, or IPv4-mapped IPv6) lies in
 * one of the n ranges. */
int cidr_any(const struct cidr *ranges, size_t n, const char *address);
/* The client's address for a request from peer: the peer itself, or when
 * the peer is a trusted front, the rightmost address of X-Forwarded-For
 * (xff[0..len), NULL: none) that is not a trusted front too; an entry
 * that is not an address ends the walk. Into out. */
void cidr_client(const struct cidr *fronts, size_t n, const char *peer, const char *xff, size_t len, char *out,
		 size_t outlen);

#endif
