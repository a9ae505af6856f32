/* presence: which releases a presence rule asks for on a given day. Pure. */
#ifndef SCS_PRESENCE_H
#define SCS_PRESENCE_H

#include "core/policy.h"

/* The day a release starts to count for the rule (days since epoch). */
int presence_effective(const struct presence_rule *r, const struct release *rel);

/* Latest and previous release in effect on today; NULL where none. */
void presence_expected(const struct presence_rule *r, int today, const struct release **latest,
		       const struct release **previous);

#endif
