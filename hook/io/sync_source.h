/* sync_source: the vendor's newest build of a catalog entry, read from
 * its metadata and held to the vendor's checksum list. */
#ifndef SCS_SYNC_SOURCE_H
#define SCS_SYNC_SOURCE_H

#include <stddef.h>

#include "core/builds.h"
#include "io/sync.h"

/* 0 with b (its digest the list's) and listed (the list's entry, for the
 * record); -1 with why, *refused 1 when the vendor's answer is not a
 * build sync may publish (0: the vendor could not be read). */
int sync_source_newest(struct sync_run *s, const struct catalog_entry *e, struct build *b, struct origin_expect *listed,
		       int *refused, char *why, size_t len);

#endif
