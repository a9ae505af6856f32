/* date: civil dates and OpenStack timestamps as day and second counts. */
#include "core/date.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Proleptic Gregorian, H. Hinnant's days_from_civil. */
int days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int date_parse(const char *s)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;
	char extra;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;
	return days_from_civil(y, m, d);
}

long long datetime_parse(const char *iso)
{
	char day[11];
	int h, m, sec, n = 0;

	if (!iso || strlen(iso) < 19 || iso[10] != 'T')
		return -1;
	memcpy(day, iso, 10);
	day[10] = '\0';
	int days = date_parse(day);
	if (days < 0 || sscanf(iso + 11, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8 || h > 23 || m > 59 ||
	    sec > 60)
		return -1;
	return (long long)days * 86400 + h * 3600 + m * 60 + sec;
}

void date_format(int days, char out[11])
{
	int z = days + 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	int doe = z - era * 146097;
	int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int y = yoe + era * 400;
	int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int mp = (5 * doy + 2) / 153;
	int d = doy - (153 * mp + 2) / 5 + 1;
	int m = mp + (mp < 10 ? 3 : -9);
	/* the modulos only tell the compiler the fields fit */
	snprintf(out, 11, "%04u-%02u-%02u", (unsigned)(y + (m <= 2)) % 10000u, (unsigned)m % 100u,
		 (unsigned)d % 100u);
}
