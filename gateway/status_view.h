/*
 * status_view — what the county's page (status_page.c) and the monthly
 * report (report_page.c) both show: the figures of one scope (the county,
 * or one township) over windows of time, read from the store's aggregates,
 * and the sections drawn from them (traffic per day, tickets per week,
 * check-in rates per village, grievance rates per township, the
 * villages). The page sets its windows back from now, the report to one
 * calendar month; neither copies the other's drawing.
 */
#ifndef CUNGATE_STATUS_VIEW_H
#define CUNGATE_STATUS_VIEW_H

#include <stdint.h>
#include <time.h>

struct buf;
struct pages_env;

#define STATUS_VIEW_DAYS	31	/* at most, of traffic and check-ins */
#define STATUS_VIEW_WEEKS	12	/* at most, of tickets */
#define STATUS_VIEW_VILLAGES	2000
#define STATUS_VIEW_TOWNSHIPS	200

struct status_view_village {
	int64_t	 id;
	char	 code[33];
	char	 name[129];
	char	 tcode[33];
	char	 tname[129];
	int64_t	 total[STATUS_VIEW_DAYS];	/* elders due, per day */
	int64_t	 checked[STATUS_VIEW_DAYS];
	int64_t	 stotal;			/* over the days */
	int64_t	 schecked;
};

/* The grievance figures of a township (or the county's sum). */
#define STATUS_VIEW_NRATE	7
struct status_view_township {
	char	 code[33];
	char	 name[129];
	int64_t	 n[STATUS_VIEW_NRATE];	/* tickets, acceptance due or done,
					   accepted in time, resolution due
					   or done, resolved in time, rated,
					   satisfied */
};

struct status_view {
	const struct pages_env	*e;
	/* The scope: status_view_new sets it from e->township. */
	int64_t			 township;	/* its id; 0 the county */
	char			 tcode[33];
	char			 tname[129];
	/* The windows: the caller sets them before status_view_load. */
	time_t			 from, until;	/* traffic: [from, until) */
	long			 off;		/* the zone's offset */
	int			 day0;		/* its first local day */
	int			 ndays;
	time_t			 wfrom, wuntil;	/* tickets opened, resolved */
	time_t			 ountil;	/* overdue: [wfrom, ountil) */
	int			 week0;		/* the first week, a bucket */
	int			 nweeks;
	int			 cday0;		/* check-ins: first day */
	int			 ncdays;
	time_t			 gfrom, guntil;	/* grievance: opened in */
	const char		*span;		/* "近14天", "本月": of rates */
	int			 live;		/* of now: links, "today" */
	/* The figures: status_view_load fills them. */
	int64_t			 in[STATUS_VIEW_DAYS];
	int64_t			 out[STATUS_VIEW_DAYS];
	int64_t			 opened[STATUS_VIEW_WEEKS];
	int64_t			 resolved[STATUS_VIEW_WEEKS];
	int64_t			 overdue[STATUS_VIEW_WEEKS];
	struct status_view_village	*v;	/* worst check-in rate first */
	int			 nv;
	struct status_view_township	 t[STATUS_VIEW_TOWNSHIPS];
	int			 nt;		/* every township's */
	struct status_view_township	 county;	/* their sum */
	/* (status_view.c: the series being read) */
	int64_t			*fill;
	int			 first;
	int			 nfill;
};

/*
 * A view of e scoped to e->township (NULL: the county) into *out, which
 * the caller frees with status_view_free: 1; or 0 when there is no such
 * township, -1 on a store error, with *out NULL.
 */
int	 status_view_new(const struct pages_env *e, struct status_view **out);
/* Read the figures of v's scope over its windows: 0, or -1 on a store
   error (what was read is kept). */
int	 status_view_load(struct status_view *v);
void	 status_view_free(struct status_view *v);
/* The week buckets' shift: Monday's, in the zone of offset off. */
#define STATUS_VIEW_WSHIFT(off)	((off) + 3 * 86400)

/* Sum of the n values of a series. */
int64_t	 status_view_sum(const int64_t *, int n);
/* The scope's name, escaped: "米脂镇" or "全县". */
void	 status_view_name(struct buf *, const struct status_view *);
/* Messages in and out per day, a chart titled title (escaped). */
void	 status_view_traffic(struct buf *, const struct status_view *,
	    const char *title);
/* Tickets opened, resolved, overdue per week, with note (escaped). */
void	 status_view_tickets(struct buf *, const struct status_view *,
	    const char *title, const char *note);
/* A small multiple of each village with elders, worst first. */
void	 status_view_multiples(struct buf *, const struct status_view *);
/* The three rates of the scope's townships beside the county's. */
void	 status_view_rates(struct buf *, const struct status_view *);
/* The villages, with their check-in rate over the span. */
void	 status_view_villages(struct buf *, const struct status_view *);

#endif
