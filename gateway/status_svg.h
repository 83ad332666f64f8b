/*
 * status_svg — the charts of the status pages (gateway/status_page.c) as
 * inline SVG: no script, no external asset, so a page works on a county
 * network cut off from the internet and prints as it shows. Each chart
 * scales to its box (viewBox, width 100%). Labels passed in are already
 * HTML-escaped by the caller; numbers and dates are made here.
 */
#ifndef CUNGATE_STATUS_SVG_H
#define CUNGATE_STATUS_SVG_H

#include <stdint.h>

struct buf;

/* A series: n values, a colour ("#1565c0") and its name (escaped). */
struct status_svg_series {
	const int64_t	*v;
	const char	*colour;
	const char	*name;
};

/*
 * Lines of ns series over n local days, the first day0 (days since
 * 1970-01-01), dates under the axis every 7 days; title escaped.
 */
void	 status_svg_days(struct buf *, const char *title, int day0, int n,
	    const struct status_svg_series *, int ns);
/* Grouped columns over n weeks, the first starting on local day day0. */
void	 status_svg_weeks(struct buf *, const char *title, int day0, int n,
	    const struct status_svg_series *, int ns);
/*
 * A small multiple: n daily rates (per mille, -1 no data) as columns,
 * coloured by how good they are; title escaped.
 */
void	 status_svg_spark(struct buf *, const char *title, const int *permille,
	    int n);
/*
 * Horizontal bars: n rows of rates (per mille, -1 none) named by rows[]
 * (escaped), and a dashed line at avg (per mille, -1 none) named avgname.
 */
void	 status_svg_rates(struct buf *, const char *title,
	    const char *const *rows, const int *permille, int n, int avg,
	    const char *avgname);
/* The legend of ns series, as HTML. */
void	 status_svg_legend(struct buf *, const struct status_svg_series *,
	    int ns);
/* "MM-DD" of local day into out (8 bytes). */
const char *status_svg_date(int day, char *out);

#endif
