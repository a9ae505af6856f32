/* Fuzz target: a Glance JSON-patch document applied to an image, as the
 * proxy does for PATCH /v2/images/{id}: the result must still be a JSON
 * image that can be dumped, read back, decided and recorded, and what the
 * proxy sends on must mean the same to the same engine. The first
 * byte picks the media type and the image; the rest is the body. */
#include "fuzz.h"
#include "core/patch.h"

static const char *const fpat_bases[] = {
	("{\"id\":\"11111111-0000-4000-8000-000000000001\",\"name\":\"Ubuntu 24.04\",\"visibility\":\"private\","
	 "\"status\":\"queued\",\"owner\":\"p1\",\"image_source\":\"https://cloud-images.ubuntu.com/releases/noble/x.img\","
	 "\"os_distro\":\"ubuntu\",\"os_version\":\"24.04\",\"os_purpose\":\"generic\",\"tags\":[],\"locations\":[]}"),
	"{\"id\":\"22222222-0000-4000-8000-000000000002\",\"name\":\"scratch\",\"visibility\":\"shared\",\"status\":\"active\"}",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_shipped_policy();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct policy *p = fuzz_shipped_policy();
	char err[512] = "";
	json_error_t jerr;

	if (size < 1)
		return 0;
	enum patch_format f = data[0] & 1 ? PATCH_V21 : PATCH_V20;
	json_t *doc = json_loads(fpat_bases[(data[0] >> 1) & 1], 0, &jerr);
	FUZZ_CHECK(doc, "base image: %s", jerr.text);
	char *sent = NULL;
	if (patch_apply(doc, (const char *)data + 1, size - 1, f, &sent, err, sizeof(err)) < 0) {
		FUZZ_CHECK_ERR(err);
		FUZZ_CHECK(!sent, "a refused patch left text to send");
		json_decref(doc);
		return 0;
	}
	FUZZ_CHECK(json_is_object(doc), "the patched image is no object");
	/* what the proxy sends means what was decided: ASCII, and applied to
	 * the same image it leaves the same image */
	FUZZ_CHECK(sent, "an applied patch has no text to send");
	for (const char *b = sent; *b; b++)
		FUZZ_CHECK((unsigned char)*b >= 0x20 && (unsigned char)*b < 0x80, "a sent byte not ASCII: %s", sent);
	json_t *resent = json_loads(fpat_bases[(data[0] >> 1) & 1], 0, &jerr);
	FUZZ_CHECK(patch_apply(resent, sent, strlen(sent), f, NULL, err, sizeof(err)) >= 0, "the sent patch is refused: %s",
		   err);
	FUZZ_CHECK(json_equal(doc, resent), "the sent patch leaves another image: %s", sent);
	json_decref(resent);
	/* with the vendor's digest added (a verified patch): that and no other change */
	char *with = patch_sent_with(sent, f, "source_sha256sum", "ab");
	FUZZ_CHECK(with, "no digest could be added to: %s", sent);
	resent = json_loads(fpat_bases[(data[0] >> 1) & 1], 0, &jerr);
	FUZZ_CHECK(patch_apply(resent, with, strlen(with), f, NULL, err, sizeof(err)) >= 0, "refused: %s", err);
	json_t *want = json_deep_copy(doc);
	json_object_set_new(want, "source_sha256sum", json_string("ab"));
	FUZZ_CHECK(json_equal(want, resent), "the digest changed more: %s", with);
	json_decref(want);
	json_decref(resent);
	free(with);
	free(sent);
	/* as admit.c hands it on: compact text, read back by the image reader */
	char *text = json_dumps(doc, JSON_COMPACT);
	FUZZ_CHECK(text, "the patched image cannot be dumped");
	json_t *again = json_loads(text, 0, &jerr);
	FUZZ_CHECK(again && json_equal(doc, again), "the patched image does not read back: %s", jerr.text);
	json_decref(again);

	struct image img = { 0 };
	if (image_parse(&img, text, strlen(text), err, sizeof(err)) == 0) {
		struct caller who = { .project_id = img.owner };
		struct decision d;
		struct recorder *rec = recorder_new();
		decide(p, &img, &who, date_parse("2026-11-21"), &d);
		fuzz_check_decision(&d);
		fuzz_check_record(rec, p, &img, &d);
		recorder_free(rec);
	} else {
		FUZZ_CHECK_ERR(err);
	}
	image_release(&img);
	free(text);
	json_decref(doc);
	return 0;
}
