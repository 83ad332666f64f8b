/*
 * service — how cungated stands among the system's other programs: one
 * daemon per database and per modem device (locks, not pid files), and
 * systemd's notify protocol (ready, watchdog, status, stopping).
 */
#ifndef CUNGATE_SERVICE_H
#define CUNGATE_SERVICE_H

struct config;
struct event_base;

/*
 * Lock the database file and every modem device of cf against a second
 * daemon (flock, released when this process ends, not inherited by the
 * workers). The database file is created 0600 if it does not exist, so
 * SQLite gives its -wal and -shm files the same mode. 0, or -1 with
 * *cause (caller frees) naming what is in use.
 */
int	 service_lock(const struct config *, char **cause);
/* Is a daemon running on the database at path (holding its lock)? 0/1. */
int	 service_database_live(const char *path);

/*
 * Tell systemd the daemon is ready (with a STATUS line), and feed its
 * watchdog from base's loop at half of WatchdogSec: a loop that stands
 * still stops feeding it. No-ops when not started by systemd.
 */
void	 service_ready(struct event_base *, const char *status);
/* Tell systemd the daemon is stopping, and why. */
void	 service_stopping(const char *why);
/* A new STATUS line (shown by systemctl status). */
void	 service_status(const char *status);

#endif
