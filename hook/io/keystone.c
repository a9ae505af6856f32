#include "io/keystone.h"
#include "core/projects.h"
#include "core/policy.h"
#include "core/tokens.h"
#include "core/util.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* auth_url may be given with or without the /v3 suffix, as openstacksdk allows. */
static void v3_url(const char *auth_url, const char *path, char *out, size_t len)
{
	size_t n = strlen(auth_url);
	while (n && auth_url[n - 1] == '/')
		n--;
	int has_v3 = n >= 3 && !strncmp(auth_url + n - 3, "/v3", 3);
	snprintf(out, len, "%.*s%s%s", (int)n, auth_url, has_v3 ? "" : "/v3", path);
}

static void tokens_url(const char *auth_url, char *out, size_t len)
{
	v3_url(auth_url, "/auth/tokens", out, len);
}

static json_t *domain(const char *name, const char *id)
{
	if (id)
		return json_pack("{s:s}", "id", id);
	return json_pack("{s:s}", "name", name ? name : "Default");
}

/* A user by id, or by name within its domain. */
static json_t *user_ref(const struct cloud_auth *a)
{
	if (a->user_id)
		return json_pack("{s:s}", "id", a->user_id);
	return json_pack("{s:s, s:o}", "name", a->username, "domain", domain(a->user_domain_name, a->user_domain_id));
}

static json_t *identity(const struct cloud_auth *a)
{
	if (!strcmp(a->auth_type, "v3applicationcredential")) {
		json_t *ac = json_pack("{s:s}", "secret", a->application_credential_secret);
		if (a->application_credential_id) {
			json_object_set_new(ac, "id", json_string(a->application_credential_id));
		} else {
			json_object_set_new(ac, "name", json_string(a->application_credential_name));
			json_object_set_new(ac, "user", user_ref(a));
		}
		return json_pack("{s:[s], s:o}", "methods", "application_credential", "application_credential", ac);
	}
	if (!strcmp(a->auth_type, "token"))
		return json_pack("{s:[s], s:{s:s}}", "methods", "token", "token", "id", a->token);
	json_t *user = user_ref(a);
	json_object_set_new(user, "password", json_string(a->password));
	return json_pack("{s:[s], s:{s:o}}", "methods", "password", "password", "user", user);
}

static json_t *scope(const struct cloud_auth *a)
{
	if (!strcmp(a->auth_type, "v3applicationcredential"))
		return NULL;        /* an application credential carries its own scope */
	if (a->project_id)
		return json_pack("{s:{s:s}}", "project", "id", a->project_id);
	if (a->project_name)
		return json_pack("{s:{s:s, s:o}}", "project", "name", a->project_name, "domain",
				 domain(a->project_domain_name, a->project_domain_id));
	return NULL;
}

static char *dup_str(json_t *v)
{
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int keystone_auth(struct http_client *h, const struct cloud_auth *a, struct keystone_session *s,
		  char *err, size_t errlen)
{
	char url[2048], why[512];
	struct http_resp resp;
	json_t *body = json_pack("{s:{s:o}}", "auth", "identity", identity(a));
	json_t *sc = scope(a);

	memset(s, 0, sizeof(*s));
	if (sc)
		json_object_set_new(json_object_get(body, "auth"), "scope", sc);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	tokens_url(a->auth_url, url, sizeof(url));
	struct http_req req = { .method = "POST", .url = url, .content_type = "application/json",
				.body = text, .body_len = text ? strlen(text) : 0 };
	int rc = http_do(h, &req, &resp, err, errlen);
	free(text);
	if (rc < 0)
		return -1;
	if (resp.status != 201 || !resp.subject_token[0]) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "%s: Keystone refused the credentials of %s (HTTP %ld): %s", url,
			 a->cloud ? a->cloud : "the environment", resp.status, why);
		http_resp_free(&resp);
		return -1;
	}
	json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
	json_t *tok = json_object_get(doc, "token");
	s->token = xstrdup(resp.subject_token);
	s->expires_at = dup_str(json_object_get(tok, "expires_at"));
	s->user_id = dup_str(json_object_get(json_object_get(tok, "user"), "id"));
	s->project_id = dup_str(json_object_get(json_object_get(tok, "project"), "id"));
	s->user_name = dup_str(json_object_get(json_object_get(tok, "user"), "name"));
	s->project_name = dup_str(json_object_get(json_object_get(tok, "project"), "name"));
	s->catalog = json_incref(json_object_get(tok, "catalog"));
	s->roles = json_incref(json_object_get(tok, "roles"));
	json_decref(doc);
	http_resp_free(&resp);
	return 0;
}

const char *keystone_endpoint(const struct keystone_session *s, const char *type, const char *interface,
			      const char *region)
{
	size_t i, k;
	json_t *svc, *ep;

	json_array_foreach((json_t *)s->catalog, i, svc) {
		if (!json_is_string(json_object_get(svc, "type")) ||
		    strcmp(json_string_value(json_object_get(svc, "type")), type))
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), k, ep) {
			const char *itf = json_string_value(json_object_get(ep, "interface"));
			const char *reg = json_string_value(json_object_get(ep, "region"));
			if (!reg)
				reg = json_string_value(json_object_get(ep, "region_id"));
			if (itf && !strcmp(itf, interface) && (!region || (reg && !strcmp(reg, region))))
				return json_string_value(json_object_get(ep, "url"));
		}
	}
	return NULL;
}

void keystone_session_free(struct keystone_session *s)
{
	free(s->token);
	free(s->expires_at);
	free(s->user_id);
	free(s->project_id);
	free(s->user_name);
	free(s->project_name);
	json_decref(s->catalog);
	json_decref(s->roles);
	memset(s, 0, sizeof(*s));
}

int keystone_has_role(const struct keystone_session *s, const char *name)
{
	size_t i;
	json_t *r;

	json_array_foreach((json_t *)s->roles, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));
		if (n && !strcmp(n, name))
			return 1;
	}
	return 0;
}

void keystone_role_names(const struct keystone_session *s, char *out, size_t len)
{
	size_t i, o = 0;
	json_t *r;

	snprintf(out, len, "none");
	json_array_foreach((json_t *)s->roles, i, r) {
		const char *n = json_string_value(json_object_get(r, "name"));
		if (n && o < len)
			o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "", n);
	}
}

static void copy_id(char *out, size_t len, json_t *v)
{
	snprintf(out, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int keystone_validate(struct http_client *h, const char *auth_url, const char *service_token,
		      const char *token, struct token_info *out, char *err, size_t errlen)
{
	char url[2048], why[512];
	struct http_resp resp;

	tokens_url(auth_url, url, sizeof(url));
	strncat(url, "?nocatalog", sizeof(url) - strlen(url) - 1);
	struct http_req req = { .url = url, .token = service_token, .subject_token = token };
	if (http_do(h, &req, &resp, err, errlen) < 0)
		return -1;
	int rc = 0;
	if (resp.status == 404 || resp.status == 400) {
		rc = 1;
	} else if (resp.status == 401 || resp.status == 403) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "%s: Keystone refused the hook's service token (HTTP %ld): %s", url,
			 resp.status, why);
		rc = 2;
	} else if (resp.status != 200) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "%s: Keystone answered HTTP %ld: %s", url, resp.status, why);
		rc = -1;
	} else {
		json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
		json_t *tok = json_object_get(doc, "token");
		json_t *project = json_object_get(tok, "project");
		memset(out, 0, sizeof(*out));
		copy_id(out->user_id, sizeof(out->user_id), json_object_get(json_object_get(tok, "user"), "id"));
		copy_id(out->project_id, sizeof(out->project_id), json_object_get(project, "id"));
		copy_id(out->project_name, sizeof(out->project_name), json_object_get(project, "name"));
		out->expires = datetime_parse(json_string_value(json_object_get(tok, "expires_at")));
		if (!out->user_id[0] || out->expires < 0) {
			snprintf(err, errlen, "%s: Keystone's answer has no user or expiry", url);
			rc = -1;
		}
		json_decref(doc);
	}
	http_resp_free(&resp);
	return rc;
}

/* ---- project references of the config --------------------------------------- */

struct lookup {
	struct http_client *h;
	const char *auth_url, *token;
};

/* GET a Keystone path: 0 with the JSON document, 1 not found, -1 failed. */
static int ks_get(struct lookup *l, const char *path, json_t **doc, char *err, size_t errlen)
{
	char url[2048], why[512];
	struct http_resp resp;

	v3_url(l->auth_url, path, url, sizeof(url));
	struct http_req req = { .url = url, .token = l->token };
	if (http_do(l->h, &req, &resp, err, errlen) < 0)
		return -1;
	int rc = 0;
	if (resp.status == 404) {
		rc = 1;
	} else if (resp.status != 200 || !(*doc = json_loadb(resp.body, resp.len, 0, NULL))) {
		http_error_text(&resp, why, sizeof(why));
		snprintf(err, errlen, "%s: Keystone answered HTTP %ld: %s", url, resp.status, why);
		rc = -1;
	}
	http_resp_free(&resp);
	return rc;
}

/* The id of the one entry of a Keystone list ("domains", "projects"). */
static int only_id(struct lookup *l, const char *path, const char *key, char *out, size_t outlen, char *err,
		   size_t errlen)
{
	json_t *doc = NULL;
	int rc = ks_get(l, path, &doc, err, errlen);
	if (rc)
		return rc;
	json_t *list = json_object_get(doc, key);
	const char *id = json_string_value(json_object_get(json_array_get(list, 0), "id"));
	rc = json_array_size(list) == 1 && id ? 0 : 1;
	if (rc == 0)
		snprintf(out, outlen, "%s", id);
	json_decref(doc);
	return rc;
}

/* GET /projects/ID: the project's field key ("id", "name") into out. 0,
 * 1 no such project (or it has no such field), -1 failed (err). */
static int project_field(struct lookup *l, const char *id, const char *key, char *out, size_t outlen, char *err,
			 size_t errlen)
{
	char path[1024];
	json_t *doc = NULL;
	char *e = curl_easy_escape(l->h->curl, id, 0);
	snprintf(path, sizeof(path), "/projects/%s", e ? e : "");
	curl_free(e);
	int rc = ks_get(l, path, &doc, err, errlen);
	if (rc)
		return rc;
	json_t *project = json_object_get(doc, "project");
	const char *got = json_string_value(json_object_get(project, key));
	const char *pid = json_string_value(json_object_get(project, "id"));
	rc = got && pid && !strcmp(pid, id) ? 0 : 1;
	if (rc == 0)
		snprintf(out, outlen, "%s", got);
	json_decref(doc);
	return rc;
}

int keystone_project_name(struct http_client *h, const char *auth_url, const char *token, const char *id,
			  char *out, size_t outlen, char *err, size_t errlen)
{
	struct lookup l = { h, auth_url, token };
	int rc = project_field(&l, id, "name", out, outlen, err, errlen);
	if (rc == 1)
		snprintf(err, errlen, "Keystone has no project %s", id);
	return rc;
}

static int project_lookup_ks(void *ctx, const char *domain, const char *name, char *out, size_t outlen, char *err,
			     size_t errlen)
{
	struct lookup *l = ctx;
	char path[1024], did[128];
	CURL *c = l->h->curl;
	int rc;

	if (!domain)
		return project_field(l, name, "id", out, outlen, err, errlen);
	char *d = curl_easy_escape(c, domain, 0), *n = curl_easy_escape(c, name, 0);
	snprintf(path, sizeof(path), "/domains?name=%s", d ? d : "");
	rc = only_id(l, path, "domains", did, sizeof(did), err, errlen);
	if (rc == 0) {
		char *di = curl_easy_escape(c, did, 0);
		snprintf(path, sizeof(path), "/projects?name=%s&domain_id=%s", n ? n : "", di ? di : "");
		curl_free(di);
		rc = only_id(l, path, "projects", out, outlen, err, errlen);
	}
	curl_free(d);
	curl_free(n);
	return rc;
}

int keystone_resolve_projects(const struct cloud_auth *a, struct policy *p, char *err, size_t errlen)
{
	struct http_client h;
	struct keystone_session s;

	if (!projects_any(p))
		return 0;
	if (http_init(&h, a->verify, a->cacert, err, errlen) < 0)
		return -1;
	int rc = keystone_auth(&h, a, &s, err, errlen);
	if (rc == 0) {
		struct lookup l = { &h, a->auth_url, s.token };
		rc = projects_resolve(p, project_lookup_ks, &l, err, errlen);
		keystone_session_free(&s);
	}
	http_cleanup(&h);
	return rc;
}
