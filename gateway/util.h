/*
 * util — small helpers every module uses: allocation that aborts on
 * out-of-memory, a growable byte buffer, phone numbers, and local time.
 */
#ifndef CUNGATE_UTIL_H
#define CUNGATE_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PHONE_MAX 32	/* E.164 is at most 16 bytes; senders may be longer */

/* Allocate or abort: these never return NULL. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* printf into a new string the caller frees. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

/* A growable byte buffer, always NUL-terminated. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};
void	 buf_add(struct buf *, const void *, size_t);
void	 buf_adds(struct buf *, const char *);
void	 buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Take the buffer's string (caller frees) and reset the buffer. */
char	*buf_take(struct buf *);
void	 buf_free(struct buf *);

/*
 * Normalise a phone number to E.164: "+86…", "86…", "0086…" or a bare
 * national number (11-digit mobile for China) with country code cc ("86").
 * Spaces and dashes are ignored. Returns 0 and writes out (PHONE_MAX bytes),
 * or -1 when the input is not a phone number.
 */
int	 phone_normalise(const char *in, const char *cc, char *out);
/*
 * Is this sender an ordinary mobile number one may answer? 0 for short
 * codes (10086, 95588), SP numbers (106…), alphanumeric senders.
 */
int	 phone_is_mobile(const char *sender, const char *cc);
/* "+8613912345678" -> "+86139****5678" into buf (PHONE_MAX bytes). */
const char *phone_mask(const char *, char *buf);

/* A set of phone numbers, each once, in the order added. Zero it first. */
struct phone_set {
	char	**v;
	size_t	 n;
};
/* Add phone unless it is NULL, "" or there already. */
void	 phone_set_add(struct phone_set *, const char *phone);
/* The same as a store callback: arg is the set. */
void	 phone_set_add_cb(const char *phone, void *arg);
void	 phone_set_free(struct phone_set *);

/*
 * Local time in time zone tz ("Asia/Shanghai"). tz_parse reads
 * "YYYY-MM-DD HH:MM[:SS]" as local time; 0 or -1 on a bad string.
 * tz_format writes "YYYY-MM-DD HH:MM:SS" local time into buf (32 bytes).
 * tz_midnight gives the start of the local day containing t.
 */
int	 tz_parse(const char *tz, const char *s, time_t *out);
const char *tz_format(const char *tz, time_t t, char *buf);
/* The same as ISO 8601 with the zone's offset: "2026-12-02T13:45:11+08:00". */
const char *tz_format_iso(const char *tz, time_t t, char *buf);
int	 tz_local(const char *tz, time_t t, struct tm *out);

/* Seconds since the epoch, from CLOCK_REALTIME. */
time_t	 now_real(void);
/* Milliseconds from CLOCK_MONOTONIC, for timers and latency. */
int64_t	 now_ms(void);

/*
 * s as well-formed UTF-8 (allocated): each byte that begins no valid
 * sequence (a stray continuation, an overlong form, a surrogate, past
 * U+10FFFF, cut short) becomes U+FFFD. PostgreSQL refuses such bytes;
 * what a modem hands over must still be stored.
 */
char	*utf8_scrub(const char *s);
/* FNV-1a 64-bit hash of bytes, printed as 16 hex digits into out (17). */
void	 hash_hex(const void *, size_t, char *out);

#endif
