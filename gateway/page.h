/*
 * page — the helpers of the status pages (gateway/status_page.c, the
 * county's; gateway/status_item.c, a village's and a ticket's), each
 * writing into a struct buf.
 */
#ifndef CUNGATE_PAGE_H
#define CUNGATE_PAGE_H

#include <stdint.h>
#include <time.h>

struct buf;
struct config;

/* v, HTML-escaped (< > & " '). */
void	 page_html(struct buf *, const char *v);
/* The same, each run of 7 or more digits (a phone number) masked. */
void	 page_html_masked(struct buf *, const char *v);
/* The offset of cf's zone from UTC at t, in seconds. */
long	 page_offset(const struct config *, time_t t);
/* t as local "YYYY-MM-DD HH:MM". */
void	 page_time(struct buf *, const struct config *, time_t t);
/* "北京时间（Asia/Shanghai，UTC+08:00）": the zone of the page's times. */
void	 page_zone(struct buf *, const struct config *, time_t now);
/* How long from from to now: "3天5小时", "2小时", "15分钟". */
void	 page_age(struct buf *, time_t from, time_t now);
/* A ticket's status in Chinese (a constant string). */
const char *page_ticket_status(const char *status);
/* A card of the page's head: a big number v (class cls: "", "ok",
   "bad") over label. */
void	 page_card(struct buf *, const char *label, long long v,
	    const char *cls);
/* The document up to <main>, titled title_html (escaped); flags: */
#define PAGE_REFRESH	0x1	/* reloads every minute */
#define PAGE_A4		0x2	/* prints on A4, no box split over pages */
void	 page_head(struct buf *, const char *title_html, int flags);
void	 page_foot(struct buf *);
/* part of whole per mille, -1 when whole is 0. */
int	 page_permille(int64_t part, int64_t whole);
/* part of whole as "64%", "—" when whole is 0. */
void	 page_percent(struct buf *, int64_t part, int64_t whole);

#endif
