/* gate: the quota decisions of one project are taken one at a time on a
 * node, from reading its usage to making the reservation visible, so that
 * count, concurrency, rate and total are atomic there. A gate is a flag,
 * not a mutex: it may be left from another callback than the one that
 * entered it (a create keeps it until Glance's answer is relayed). */
#ifndef SCS_GATE_H
#define SCS_GATE_H

/* Enter project's gate, waiting at most timeout_ms. The gate's number, or
 * -1 when it stayed closed that long. */
int gate_enter(const char *project, long timeout_ms);
void gate_leave(int gate);

#endif
