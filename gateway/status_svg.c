/*
 * status_svg — the status pages' charts as inline SVG (status_svg.h).
 * Plain shapes and text in a viewBox; the page's CSS sizes the box.
 */
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "gateway/status_svg.h"
#include "gateway/util.h"

#define SVG_W		480
#define SVG_H		200
#define SVG_LEFT	40
#define SVG_RIGHT	10
#define SVG_TOP		12
#define SVG_BOTTOM	24

const char *
status_svg_date(int day, char *out)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 8, "%m-%d", &tm) == 0)
		snprintf(out, 8, "?");
	return out;
}

/* The smallest 1, 2 or 5 times a power of ten at least v (and 1). */
static int64_t
status_svg_nice(int64_t v)
{
	int64_t p = 1;

	for (;;) {
		if (v <= p)
			return p;
		if (v <= 2 * p)
			return 2 * p;
		if (v <= 5 * p)
			return 5 * p;
		p *= 10;
	}
}

static int64_t
status_svg_max(const struct status_svg_series *s, int ns, int n)
{
	int64_t m = 0;
	int i, j;

	for (j = 0; j < ns; j++)
		for (i = 0; i < n; i++)
			if (s[j].v[i] > m)
				m = s[j].v[i];
	return status_svg_nice(m);
}

static void
status_svg_open(struct buf *b, const char *title, int w, int h)
{
	buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" "
	    "role=\"img\" "
	    "font-size=\"12\" font-family=\"sans-serif\"><title>", w, h);
	buf_adds(b, title);
	buf_adds(b, "</title>");
}

/* The frame of a time chart: grid lines at 0, max/2, max with values. */
static void
status_svg_axes(struct buf *b, int64_t max)
{
	int i, y;

	for (i = 0; i <= 2; i++) {
		y = SVG_H - SVG_BOTTOM - i * (SVG_H - SVG_BOTTOM - SVG_TOP) / 2;
		buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" "
		    "stroke=\"%s\"/><text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\" fill=\"#555\">%lld</text>",
		    SVG_LEFT, SVG_W - SVG_RIGHT, y, y, i == 0 ? "#888" : "#ddd",
		    SVG_LEFT - 4, y + 4, (long long)(max * i / 2));
	}
}

static int
status_svg_y(int64_t v, int64_t max)
{
	return SVG_H - SVG_BOTTOM -
	    (int)(v * (SVG_H - SVG_BOTTOM - SVG_TOP) / (max > 0 ? max : 1));
}

void
status_svg_days(struct buf *b, const char *title, int day0, int n,
    const struct status_svg_series *s, int ns)
{
	int64_t max = status_svg_max(s, ns, n);
	int i, j, x, span = SVG_W - SVG_LEFT - SVG_RIGHT;
	char d[8];

	status_svg_open(b, title, SVG_W, SVG_H);
	status_svg_axes(b, max);
	for (i = 0; i < n; i += 7) {
		x = SVG_LEFT + (n > 1 ? i * span / (n - 1) : 0);
		buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		    "fill=\"#555\">%s</text>", x, SVG_H - 6,
		    status_svg_date(day0 + i, d));
	}
	for (j = 0; j < ns; j++) {
		buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"2\" points=\"", s[j].colour);
		for (i = 0; i < n; i++)
			buf_printf(b, "%s%d,%d", i > 0 ? " " : "", SVG_LEFT +
			    (n > 1 ? i * span / (n - 1) : 0),
			    status_svg_y(s[j].v[i], max));
		buf_adds(b, "\"/>");
	}
	buf_adds(b, "</svg>\n");
}

void
status_svg_weeks(struct buf *b, const char *title, int day0, int n,
    const struct status_svg_series *s, int ns)
{
	int64_t max = status_svg_max(s, ns, n);
	int i, j, x, y, slot, bw;
	char d[8];

	status_svg_open(b, title, SVG_W, SVG_H);
	status_svg_axes(b, max);
	slot = (SVG_W - SVG_LEFT - SVG_RIGHT) / (n > 0 ? n : 1);
	bw = (slot - 4) / (ns > 0 ? ns : 1);
	for (i = 0; i < n; i++) {
		x = SVG_LEFT + i * slot + 2;
		for (j = 0; j < ns; j++) {
			y = status_svg_y(s[j].v[i], max);
			buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
			    "height=\"%d\" fill=\"%s\"/>", x + j * bw, y,
			    bw - 1, SVG_H - SVG_BOTTOM - y, s[j].colour);
		}
		if (i % 2 == 0)
			buf_printf(b, "<text x=\"%d\" y=\"%d\" "
			    "text-anchor=\"middle\" fill=\"#555\">%s</text>",
			    x + slot / 2, SVG_H - 6,
			    status_svg_date(day0 + 7 * i, d));
	}
	buf_adds(b, "</svg>\n");
}

static const char *
status_svg_colour(int permille)
{
	if (permille >= 900)
		return "#2e7d32";
	if (permille >= 700)
		return "#f9a825";
	return "#c62828";
}

void
status_svg_spark(struct buf *b, const char *title, const int *permille,
    int n)
{
	int i, h;

	status_svg_open(b, title, 10 * n, 40);
	buf_printf(b, "<line x1=\"0\" x2=\"%d\" y1=\"39.5\" y2=\"39.5\" "
	    "stroke=\"#888\"/>", 10 * n);
	for (i = 0; i < n; i++) {
		if (permille[i] < 0) {
			buf_printf(b, "<rect x=\"%d\" y=\"37\" width=\"8\" "
			    "height=\"2\" fill=\"#bbb\"/>", 10 * i + 1);
			continue;
		}
		h = permille[i] * 38 / 1000;
		if (h < 1)
			h = 1;
		buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"8\" "
		    "height=\"%d\" fill=\"%s\"/>", 10 * i + 1, 39 - h, h,
		    status_svg_colour(permille[i]));
	}
	buf_adds(b, "</svg>");
}

void
status_svg_rates(struct buf *b, const char *title, const char *const *rows,
    const int *permille, int n, int avg, const char *avgname)
{
	int i, y, w, left = 110, span = SVG_W - left - 50;
	int h = 24 * n + 30;

	status_svg_open(b, title, SVG_W, h);
	for (i = 0; i < n; i++) {
		y = 8 + 24 * i;
		buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">"
		    "%s</text>", left - 6, y + 13, rows[i]);
		if (permille[i] < 0) {
			buf_printf(b, "<text x=\"%d\" y=\"%d\" fill=\"#777\">"
			    "—</text>", left + 4, y + 13);
			continue;
		}
		w = permille[i] * span / 1000;
		buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" "
		    "height=\"16\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">"
		    "%d%%</text>", left, y, w, status_svg_colour(permille[i]),
		    left + w + 4, y + 13, (permille[i] + 5) / 10);
	}
	if (avg >= 0) {
		w = left + avg * span / 1000;
		buf_printf(b, "<line x1=\"%d\" x2=\"%d\" y1=\"2\" y2=\"%d\" "
		    "stroke=\"#1a237e\" stroke-width=\"2\" "
		    "stroke-dasharray=\"4 3\"/><text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"middle\" fill=\"#1a237e\">%s %d%%</text>",
		    w, w, 24 * n + 10, w, 24 * n + 24, avgname,
		    (avg + 5) / 10);
	}
	buf_adds(b, "</svg>\n");
}

void
status_svg_legend(struct buf *b, const struct status_svg_series *s, int ns)
{
	int j;

	buf_adds(b, "<p class=\"legend\">");
	for (j = 0; j < ns; j++)
		buf_printf(b, "<span><i style=\"background:%s\"></i>%s</span>",
		    s[j].colour, s[j].name);
	buf_adds(b, "</p>\n");
}
