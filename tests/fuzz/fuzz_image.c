/* Fuzz target: image JSON (one object, an array, JSON lines) to decision,
 * as `check` and the proxy read it, then the decision record. The stream
 * is read twice, whole and in small pieces: both must see the same. */
#include "fuzz.h"

struct fimg_seen {
	const struct policy *p;
	struct recorder *rec;
	size_t count;
	unsigned long digest;       /* actions and violation counts, in order */
};

static int fimg_decide_one(struct image *img, void *ctx)
{
	struct fimg_seen *s = ctx;
	struct caller who = { .project_id = img->owner };
	struct decision d;
	const char *uri = image_prop(img, "uri");

	/* with a "uri" property, as an import by web-download */
	decide_import(s->p, img, uri, &who, date_parse("2026-11-21"), &d);
	fuzz_check_decision(&d);
	if (s->rec)
		fuzz_check_record(s->rec, s->p, img, &d);
	s->count++;
	s->digest = s->digest * 31 + (unsigned long)d.action * 7 + d.n + d.n_more;
	return 0;
}

/* Feed data in pieces of at most chunk bytes; the stream's return code. */
static int fimg_stream(const uint8_t *data, size_t size, size_t chunk, struct fimg_seen *s)
{
	char err[512] = "";
	struct image_reader *r = image_reader_new(fimg_decide_one, s, "fuzz");
	int rc = 0;

	FUZZ_CHECK(r, "no reader");
	for (size_t off = 0; rc == 0 && off < size; off += chunk)
		rc = image_reader_feed(r, (const char *)data + off, size - off < chunk ? size - off : chunk, err,
				       sizeof(err));
	if (rc == 0)
		rc = image_reader_end(r, err, sizeof(err));
	if (rc < 0)
		FUZZ_CHECK_ERR(err);
	FUZZ_CHECK(image_reader_count(r) == s->count, "reader and callback disagree on the count");
	image_reader_free(r);
	return rc;
}

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
	struct fimg_seen whole = { .p = p, .rec = recorder_new() }, pieces = { .p = p };
	char err[512] = "";
	struct image img = { 0 };

	int rc_whole = fimg_stream(data, size, size ? size : 1, &whole);
	/* a piece size from the input itself, so the fuzzer steers it */
	size_t chunk = size ? (size_t)data[size / 2] % 13 + 1 : 1;
	int rc_pieces = fimg_stream(data, size, chunk, &pieces);
	FUZZ_CHECK(rc_whole == rc_pieces && whole.count == pieces.count && whole.digest == pieces.digest,
		   "whole (rc %d, %zu images) and in pieces of %zu (rc %d, %zu images) differ", rc_whole,
		   whole.count, chunk, rc_pieces, pieces.count);
	recorder_free(whole.rec);

	/* the proxy's entry: exactly one image object */
	if (image_parse(&img, (const char *)data, size, err, sizeof(err)) == 0) {
		struct fimg_seen one = { .p = p };
		fimg_decide_one(&img, &one);
		FUZZ_CHECK(rc_whole == 0 && whole.count == 1, "one image parsed, the stream saw %zu", whole.count);
	} else {
		FUZZ_CHECK_ERR(err);
	}
	image_release(&img);
	return 0;
}
