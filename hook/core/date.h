/* date: civil dates and OpenStack timestamps as day and second counts. */
#ifndef SCS_DATE_H
#define SCS_DATE_H

/* Days since 1970-01-01 of a proleptic Gregorian date (any year). */
int days_from_civil(int y, int m, int d);
/* Civil dates as days since 1970-01-01; -1 on a malformed date. */
int date_parse(const char *s);
void date_format(int days, char out[11]);
/* OpenStack's "2026-11-21T23:12:33.000000Z" as seconds since the epoch; -1 when malformed. */
long long datetime_parse(const char *iso);

#endif
