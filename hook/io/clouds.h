/* clouds: find the credentials openstacksdk would use. */
#ifndef SCS_CLOUDS_H
#define SCS_CLOUDS_H

#include <stddef.h>

/* Every string is our own copy (free with cloud_auth_free); NULL when unset. */
struct cloud_auth {
	char *cloud;                    /* name used, or NULL for plain OS_* variables */
	char *auth_type;                /* "password" (default), "v3applicationcredential", "token" */
	char *auth_url;
	char *username, *user_id, *password;
	char *project_name, *project_id;
	char *user_domain_name, *user_domain_id, *project_domain_name, *project_domain_id;
	char *application_credential_id, *application_credential_name, *application_credential_secret;
	char *token;
	char *region_name;              /* NULL: any region */
	char *interface;                /* "public" by default */
	char *cacert;                   /* CA bundle path, or NULL */
	char *image_endpoint;           /* image_endpoint_override (OS_IMAGE_ENDPOINT): the image
	                                 * API there instead of the catalog's, or NULL */
	int verify;                     /* TLS verification, 1 by default */
	char *source;                   /* where it came from: "clouds.yaml path" or "environment" */
	/* domain_name/domain_id as openstacksdk treats them: with a project
	 * they only fill the unset user and project domains (and are NULL
	 * here); without a project they are the domain to scope to. */
	char *domain_name, *domain_id;
	char *secure_source;            /* secure.yaml merged over the entry, or NULL */
};

/* name: --os-cloud, or NULL to use $OS_CLOUD, or else the plain OS_* variables.
 * 0, or -1 with a clear message in err (which files were searched, which key is wrong, what is missing). */
int clouds_resolve(const char *name, struct cloud_auth *out, char *err, size_t errlen);
void cloud_auth_free(struct cloud_auth *a);

#endif
