/* log_summary: `log --summary`: decision records counted by decision,
 * rule, project and day, and what enforce would have refused of those
 * decided under warn and dry-run. Memory grows with the distinct rules,
 * projects and days, never with the records. */
#ifndef SCS_LOG_SUMMARY_H
#define SCS_LOG_SUMMARY_H

#include <stdio.h>

#include "core/logrec.h"

struct log_summary;

struct log_summary *log_summary_new(void);
void log_summary_add(struct log_summary *s, const struct logrec *r);
/* malformed: lines skipped, said in the summary. json: one JSON object. */
void log_summary_print(const struct log_summary *s, unsigned long long malformed, int json, FILE *out);
void log_summary_free(struct log_summary *s);

#endif
