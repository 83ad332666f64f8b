/*
 * normalise — the text the command table sees (see normalise.h). Three
 * passes over an array of code points, each remembering where in the
 * original its character came from: decode and fold (full-width, space,
 * invisible), traditional to simplified with OpenCC, then drop the spaces
 * between Chinese characters and encode. The map lets the router hand a
 * handler the original words behind a capture.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <opencc.h>

#include "gateway/log.h"
#include "gateway/util.h"
#include "handlers/normalise.h"

#define NORMALISE_T2S		"t2s.json"
#define NORMALISE_T2S_PATH	"/usr/share/opencc/t2s.json"

/* One process-wide converter: read-only once open, one thread. */
static opencc_t normalise_cc = (opencc_t)-1;

struct normalise_cps {
	uint32_t	*cp;
	size_t		*off;	/* original byte offset of each */
	size_t		 n;
};

int
normalise_init(char **cause)
{
	if (normalise_cc != (opencc_t)-1)
		return 0;
	normalise_cc = opencc_open(NORMALISE_T2S);
	if (normalise_cc == (opencc_t)-1)
		normalise_cc = opencc_open(NORMALISE_T2S_PATH);
	if (normalise_cc == (opencc_t)-1) {
		*cause = xasprintf("OpenCC: cannot open %s: %s",
		    NORMALISE_T2S_PATH, opencc_error());
		return -1;
	}
	return 0;
}

void
normalise_end(void)
{
	if (normalise_cc != (opencc_t)-1)
		opencc_close(normalise_cc);
	normalise_cc = (opencc_t)-1;
}

/*
 * Decode one UTF-8 sequence at s (n > 0 bytes left) into *cp. Returns the
 * bytes used; an invalid sequence gives U+FFFD for its maximal valid
 * prefix (at least one byte), as Unicode recommends.
 */
static size_t
normalise_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		c = s[0] & 0x0f;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* no overlong forms */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		c = s[0] & 0x07;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* nothing above U+10FFFF */
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (i = 1; i <= need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = 0xfffd;
			return i;
		}
		c = (c << 6) | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return need + 1;
}

/* Encode c into out (4 bytes); the length. */
static size_t
normalise_utf8_put(uint32_t c, unsigned char *out)
{
	if (c < 0x80) {
		out[0] = c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = 0xc0 | (c >> 6);
		out[1] = 0x80 | (c & 0x3f);
		return 2;
	}
	if (c < 0x10000) {
		out[0] = 0xe0 | (c >> 12);
		out[1] = 0x80 | ((c >> 6) & 0x3f);
		out[2] = 0x80 | (c & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (c >> 18);
	out[1] = 0x80 | ((c >> 12) & 0x3f);
	out[2] = 0x80 | ((c >> 6) & 0x3f);
	out[3] = 0x80 | (c & 0x3f);
	return 4;
}

/* Unicode White_Space, and the controls that become white space. */
static int
normalise_is_space(uint32_t c)
{
	return c <= 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0x1680 ||
	    (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	    c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Invisible characters that would only split a keyword: dropped. */
static int
normalise_is_invisible(uint32_t c)
{
	return (c >= 0x200b && c <= 0x200d) || c == 0x2060 || c == 0xfeff;
}

/* A Chinese character: the unified ideographs and their extensions. */
static int
normalise_is_han(uint32_t c)
{
	return (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0x20000 && c <= 0x3134f);
}

static char	*normalise_text(const char *, size_t, size_t **, int);

/* Pass 1: decode, fold, collapse white space to one ' ', trim. */
static void
normalise_decode(const char *text, size_t len, struct normalise_cps *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, used;
	uint32_t c;
	int space = 0;

	out->cp = xcalloc(len + 1, sizeof *out->cp);
	out->off = xcalloc(len + 1, sizeof *out->off);
	out->n = 0;
	while (i < len) {
		used = normalise_utf8_next(s + i, len - i, &c);
		if (c >= 0xff01 && c <= 0xff5e)
			c -= 0xfee0;
		if (normalise_is_invisible(c)) {
			i += used;
			continue;
		}
		if (normalise_is_space(c)) {
			space = 1;
			i += used;
			continue;
		}
		if (space && out->n > 0) {
			out->cp[out->n] = ' ';
			out->off[out->n++] = i;
		}
		space = 0;
		out->cp[out->n] = c;
		out->off[out->n++] = i;
		i += used;
	}
}

/* Convert n code points at cp to UTF-8 (caller frees). */
static char *
normalise_encode_plain(const uint32_t *cp, size_t n)
{
	unsigned char u[4];
	struct buf b;
	size_t i;

	memset(&b, 0, sizeof b);
	for (i = 0; i < n; i++)
		buf_add(&b, u, normalise_utf8_put(cp[i], u));
	return buf_take(&b);
}

/*
 * Replace each of n code points by what OpenCC makes of s (its UTF-8) when
 * it keeps the count, so the offsets stay right. 1 done, 0 not.
 */
static int
normalise_t2s_same(const char *s, uint32_t *cp, size_t n)
{
	const unsigned char *o;
	uint32_t *tmp;
	size_t i = 0, k = 0, len;
	char *conv;
	int ok;

	if ((conv = opencc_convert_utf8(normalise_cc, s, strlen(s))) == NULL)
		return 0;
	o = (const unsigned char *)conv;
	len = strlen(conv);
	tmp = xcalloc(n + 1, sizeof *tmp);
	while (i < len && k <= n)
		i += normalise_utf8_next(o + i, len - i, &tmp[k++]);
	ok = k == n;
	if (ok)
		memcpy(cp, tmp, n * sizeof *cp);
	free(tmp);
	opencc_convert_utf8_free(conv);
	return ok;
}

/*
 * Pass 2: traditional to simplified, the whole text at once (OpenCC's
 * phrases need context); when that changes the number of characters,
 * each Chinese character alone.
 */
static void
normalise_t2s(struct normalise_cps *t)
{
	char *s;
	size_t i;
	int han = 0;

	if (normalise_cc == (opencc_t)-1)
		return;
	for (i = 0; i < t->n && !han; i++)
		han = normalise_is_han(t->cp[i]);
	if (!han)
		return;
	s = normalise_encode_plain(t->cp, t->n);
	if (!normalise_t2s_same(s, t->cp, t->n)) {
		for (i = 0; i < t->n; i++) {
			if (!normalise_is_han(t->cp[i]))
				continue;
			free(s);
			s = normalise_encode_plain(&t->cp[i], 1);
			normalise_t2s_same(s, &t->cp[i], 1);
		}
	}
	free(s);
}

char *
normalise(const char *text, size_t len, size_t **map)
{
	return normalise_text(text, len, map, 1);
}

char *
normalise_words(const char *text, size_t len)
{
	return normalise_text(text, len, NULL, 0);
}

static char *
normalise_text(const char *text, size_t len, size_t **map, int join)
{
	struct normalise_cps t;
	unsigned char u[4];
	struct buf b;
	size_t i, j, k, n;
	size_t *m = NULL;

	normalise_decode(text, len, &t);
	normalise_t2s(&t);
	memset(&b, 0, sizeof b);
	if (map != NULL)
		m = xcalloc(4 * t.n + 1, sizeof *m);
	for (i = 0; i < t.n; i++) {
		/* Pass 3: "帮 助" is "帮助". */
		if (join && t.cp[i] == ' ' && i > 0 && i + 1 < t.n &&
		    normalise_is_han(t.cp[i - 1]) &&
		    normalise_is_han(t.cp[i + 1]))
			continue;
		n = normalise_utf8_put(t.cp[i], u);
		if (m != NULL)
			for (j = 0, k = b.len; j < n; j++, k++)
				m[k] = t.off[i];
		buf_add(&b, u, n);
	}
	if (m != NULL) {
		m[b.len] = len;
		*map = m;
	}
	free(t.cp);
	free(t.off);
	return buf_take(&b);
}

char *
normalise_clean(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned char u[4];
	struct buf b;
	size_t i = 0, keep = 0;
	uint32_t c;

	memset(&b, 0, sizeof b);
	while (i < len) {
		i += normalise_utf8_next(s + i, len - i, &c);
		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			c = ' ';
		if (normalise_is_space(c) && b.len == 0)
			continue;
		buf_add(&b, u, normalise_utf8_put(c, u));
		if (!normalise_is_space(c))
			keep = b.len;
	}
	if (b.data != NULL)
		b.data[keep] = '\0';
	b.len = keep;
	return buf_take(&b);
}
