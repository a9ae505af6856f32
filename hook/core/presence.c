#include "core/presence.h"

#include <stdio.h>

static int add_months(int days, int months)
{
	char s[11];
	int y, m, d;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	date_format(days, s);
	sscanf(s, "%d-%d-%d", &y, &m, &d);
	m += months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	int leap = m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
	if (d > mdays[m - 1] + leap)
		d = mdays[m - 1] + leap;        /* Jan 31 + 1 month: the end of February */
	snprintf(s, sizeof(s), "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
	return date_parse(s);
}

int presence_effective(const struct presence_rule *r, const struct release *rel)
{
	if (r->effective_month) {
		char s[11];
		date_format(rel->released, s);
		snprintf(s + 5, sizeof(s) - 5, "%02u-%02u", (unsigned)r->effective_month % 100u,
			 (unsigned)r->effective_day % 100u);
		int fixed = date_parse(s);
		return fixed > rel->released ? fixed : rel->released;
	}
	return add_months(rel->released, r->effective_after_months);
}

void presence_expected(const struct presence_rule *r, int today, const struct release **latest,
		       const struct release **previous)
{
	const struct distro *d = r->distro;

	*latest = *previous = NULL;
	for (size_t k = 0; d && k < d->n_releases; k++) {
		const struct release *rel = &d->releases[k];
		if (r->lts_only && !rel->lts)
			continue;
		if (presence_effective(r, rel) > today)
			break;
		*previous = *latest;
		*latest = rel;
	}
}
