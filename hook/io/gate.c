/* gate: per-project serialisation of quota decisions; see gate.h. */
#include "io/gate.h"
#include "core/util.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

/* Projects share gates by hash: two projects on one gate only wait for
 * each other, never decide on each other's numbers. */
#define GATES 256

static struct gate {
	pthread_mutex_t m;
	pthread_cond_t cv;
	int busy;
} gates[GATES] = { [0 ... GATES - 1] = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 } };

static unsigned gate_of(const char *project)
{
	unsigned h = 5381;
	for (const char *p = project ? project : ""; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return h % GATES;
}

int gate_enter(const char *project, long timeout_ms)
{
	unsigned i = gate_of(project);
	struct gate *g = &gates[i];
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&g->m);
	while (g->busy && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&g->cv, &g->m, &until);
	int entered = !g->busy;
	if (entered)
		g->busy = 1;
	pthread_mutex_unlock(&g->m);
	return entered ? (int)i : -1;
}

void gate_leave(int i)
{
	if (i < 0 || i >= GATES)
		return;
	struct gate *g = &gates[i];
	pthread_mutex_lock(&g->m);
	g->busy = 0;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->m);
}
