/* diskfmt: what an image's first bytes say it is. A qcow2 file starts
 * with its magic and a header that gives the virtual disk's size (what
 * min_disk must allow) and whether it reads from a backing file (which an
 * image from a vendor never does: such a file would make Glance's users
 * read whatever that names). Anything else is taken as raw. Pure. */
#ifndef SCS_DISKFMT_H
#define SCS_DISKFMT_H

#include <stddef.h>

#define DISKFMT_HEAD 512                /* bytes enough to tell */

struct diskfmt {
	const char *format;             /* Glance's disk_format: "qcow2" or "raw" */
	unsigned long long virtual_size;        /* qcow2: the disk's size in bytes; raw: 0 (the file's) */
	int backing;                    /* qcow2 names a backing file */
};

/* 0, or -1 when head starts as qcow2 but its header is cut or impossible. */
int diskfmt_sniff(const unsigned char *head, size_t len, struct diskfmt *out);
/* The GiB min_disk must be for a disk of bytes (rounded up). */
int diskfmt_gib(unsigned long long bytes);

#endif
