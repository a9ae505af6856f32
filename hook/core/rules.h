/* rules: load SCS-0104 v2 rules ('distros:', 'rules:') into the policy (policy.c tells the file by its keys). */
#ifndef SCS_RULES_H
#define SCS_RULES_H

struct loader;
struct ynode;

/* -1 with the error (file:line:col) in l->y. */
int rules_load(struct loader *l, const struct ynode *root);

#endif
