/* spec: load an SCS v1 spec file ('images:') into the policy (policy.c tells the file by its keys). */
#ifndef SCS_SPEC_H
#define SCS_SPEC_H

struct loader;
struct ynode;

/* -1 with the error (file:line:col) in l->y. */
int spec_load(struct loader *l, const struct ynode *root);

#endif
