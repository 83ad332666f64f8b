/*
 * service — one daemon per database and per modem device, and systemd's
 * notify protocol (libsystemd's sd_notify).
 *
 * The locks are flock(2) locks on the database file itself and on a file
 * per modem device in /run/lock, named after the device's numbers, so
 * /dev/ttyUSB0 and its /dev/serial/by-id/ link are one device. They go when the process goes, however it ends: no stale pid
 * file to clean up after a kill -9. flock and SQLite's fcntl locks do
 * not interact on Linux, so locking the database file costs SQLite
 * nothing. The descriptors are close-on-exec: a worker never holds them.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/service.h"
#include "gateway/store.h"
#include "gateway/util.h"

#define SERVICE_LOCK_DIR	"/run/lock"

static struct event	*service_dog;

/*
 * Lock path with an open descriptor (created with create_mode if missing;
 * a directory is opened read-only): 0, 1 held by another, -1 error.
 */
static int
service_flock(const char *path, int create_mode, char **cause)
{
	struct stat sb;
	int fd;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY,
		    create_mode);
	if (fd == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			close(fd);
			return 1;
		}
		*cause = xasprintf("lock %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return 0;	/* fd stays open for the life of the process */
}

/*
 * The file to lock for a modem's device: for a character device (a
 * serial port) a file in /run/lock named by its device numbers; for
 * another file (the dummy phone's directory) that file itself. NULL when
 * the device is no file (a command line for proxyat): nothing to lock.
 */
static char *
service_device_lock(const char *device)
{
	struct stat sb;

	if (stat(device, &sb) == -1)
		return NULL;
	if (S_ISCHR(sb.st_mode))
		return xasprintf("%s/cungate.tty.%u.%u.lock",
		    SERVICE_LOCK_DIR, major(sb.st_rdev), minor(sb.st_rdev));
	return xstrdup(device);
}

int
service_lock(const struct config *cf, char **cause)
{
	char *path;
	size_t i;
	int rc;

	/*
	 * A new database is created 0600: names, phones, elders' data. A
	 * database server is no file to lock: its nodes share it.
	 */
	if (store_is_server(cf->database))
		rc = 0;
	else if ((rc = service_flock(cf->database, 0600, cause)) == -1)
		return -1;
	if (rc == 1) {
		*cause = xasprintf("another cungated is running on the database "
		    "%s", cf->database);
		return -1;
	}
	for (i = 0; i < cf->nmodems; i++) {
		if ((path = service_device_lock(cf->modems[i].device)) == NULL)
			continue;
		rc = service_flock(path, 0644, cause);
		if (rc == 1)
			*cause = xasprintf("[modem %s]: the device %s is in use "
			    "by another cungated", cf->modems[i].name,
			    cf->modems[i].device);
		else if (rc == -1) {
			/* No lock directory to write: run, but say so. */
			log_warn("modem %s: cannot lock its device (%s): a "
			    "second daemon would not be stopped",
			    cf->modems[i].name, *cause);
			free(*cause);
			*cause = NULL;
			rc = 0;
		}
		free(path);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
service_database_live(const char *path)
{
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK)
		rc = 1;
	close(fd);	/* drops a lock it got */
	return rc;
}

static void
service_dog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

void
service_ready(struct event_base *base, const char *status)
{
	struct timeval tv;
	uint64_t usec;

	sd_notifyf(0, "READY=1\nSTATUS=%s\nMAINPID=%ld", status,
	    (long)getpid());
	if (sd_watchdog_enabled(0, &usec) <= 0 || service_dog != NULL)
		return;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	service_dog = event_new(base, -1, EV_PERSIST, service_dog_cb, NULL);
	event_add(service_dog, &tv);
	log_info("daemon: feeding systemd's watchdog every %.1f s",
	    (double)usec / 1e6);
}

void
service_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void
service_stopping(const char *why)
{
	sd_notifyf(0, "STOPPING=1\nSTATUS=%s", why);
	if (service_dog != NULL) {
		event_free(service_dog);
		service_dog = NULL;
	}
}
