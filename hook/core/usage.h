/* usage: a page of Glance's image list read as a stream, keeping per image
 * only what a quota decision needs (struct quota_image). Pure. */
#ifndef SCS_USAGE_H
#define SCS_USAGE_H

#include <stddef.h>

#include "core/quota.h"

#define USAGE_MAX_NEXT 2048         /* the longest `next` link read */

/* cb sees each image when its closing brace arrives; < 0 stops. */
typedef int (*usage_cb)(const struct quota_image *im, void *ctx);
struct usage_reader;

struct usage_reader *usage_reader_new(usage_cb cb, void *ctx);
/* 0, or -1 with what is wrong in err (empty when cb stopped it). */
int usage_reader_feed(struct usage_reader *r, const char *buf, size_t len, char *err, size_t errlen);
int usage_reader_end(struct usage_reader *r, char *err, size_t errlen);
/* The page's `next` link, or NULL on the last page. */
const char *usage_reader_next(const struct usage_reader *r);
size_t usage_reader_count(const struct usage_reader *r);
void usage_reader_free(struct usage_reader *r);

#endif
