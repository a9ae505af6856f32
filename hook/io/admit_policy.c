/* admit_policy: the policy in use, as a hold. A reload (SIGHUP) installs a
 * new policy for the next decision while decisions in progress finish on
 * the one they began with; a policy and its vendor (the origins' keyring
 * and list cache) are freed when the last decision that holds them is
 * done. Every entry point of admit holds the policy for its decision. */
#include "io/admit_int.h"
#include "core/util.h"
#include "io/vendor.h"

#include <pthread.h>
#include <stdlib.h>

static struct policy_hold *policy_acquire(struct admit *ad)
{
	pthread_mutex_lock(&ad->policy_lock);
	struct policy_hold *h = ad->hold;
	h->refs++;
	pthread_mutex_unlock(&ad->policy_lock);
	return h;
}

static void drop(struct policy_hold *h)
{
	vendor_free(h->vendor);
	policy_free(h->p);
	free(h);
}

static void policy_release(struct admit *ad, struct policy_hold *h)
{
	pthread_mutex_lock(&ad->policy_lock);
	int last = --h->refs == 0 && h != ad->hold;
	pthread_mutex_unlock(&ad->policy_lock);
	if (last)
		drop(h);
}

int admit_policy_install(struct admit *ad, struct policy *p, char *err, size_t errlen)
{
	struct vendor *vendor = NULL;

	if (p->origins.n && !(vendor = vendor_new(&p->origin, err, errlen)))
		return -1;
	struct policy_hold *h = xcalloc(1, sizeof(*h));
	h->p = p;
	h->vendor = vendor;
	pthread_mutex_lock(&ad->policy_lock);
	struct policy_hold *old = ad->hold;
	ad->hold = h;
	int unused = old && old->refs == 0;
	pthread_mutex_unlock(&ad->policy_lock);
	if (unused)
		drop(old);
	return 0;
}

void admit_policy_uninstall(struct admit *ad)
{
	if (ad->hold)
		drop(ad->hold);
	ad->hold = NULL;
}

/* A decision runs on the policy in force when it began; a reload swaps in
 * a new one for the next decision. */
struct policy_hold *admit_policy_hold(struct admit *ad, struct admit_conn *c)
{
	struct policy_hold *h = policy_acquire(ad);
	c->policy = h->p;
	c->vendor = h->vendor;
	return h;
}

void admit_policy_release(struct admit *ad, struct admit_conn *c, struct policy_hold *h)
{
	c->policy = NULL;
	c->vendor = NULL;
	policy_release(ad, h);
}
