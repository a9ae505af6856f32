/* loader: one policy file being loaded (policy.c opens it, spec.c and
 * rules.c read their kinds of file into l->p). */
#ifndef SCS_LOADER_H
#define SCS_LOADER_H

#include "core/policy.h"
#include "core/util.h"
#include "core/yconf.h"

struct loader {
	struct yconf y;             /* path as stored in p->files, err */
	struct policy *p;
};

#define LOAD_LIST(l, seq, arr, count, fn)                                     \
	do {                                                                  \
		(arr) = xcalloc((seq)->n, sizeof(*(arr)));                    \
		for (size_t i_ = 0; i_ < (seq)->n; i_++) {                    \
			(count) = i_ + 1;                                     \
			if (fn((l), (seq)->items[i_], &(arr)[i_]) < 0)        \
				return -1;                                    \
		}                                                             \
	} while (0)

#endif
