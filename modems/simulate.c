/*
 * simulate — drop an incoming SMS into a dummy-phone modem's inbox
 * (modem_simulate), for tests, demos and "cungatectl simulate". The text
 * is split and encoded by libgammu exactly as a phone would send it, and
 * each part becomes one smsbackup file DIR/sms/1/N, written under a
 * temporary name and linked into place: link() never replaces a file, so
 * concurrent simulations each get their own N.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <gammu.h>

#include "gateway/config.h"
#include "gateway/util.h"
#include "modems/modem.h"
#include "modems/proto.h"

#define SIMULATE_MAX_UNITS	3000	/* as the worker: at most 45 parts */
#define SIMULATE_MAX_LOCATION	10000	/* the dummy driver's limit */

static int
simulate_mkdir(const char *path, char **cause)
{
	if (mkdir(path, 0777) == -1 && errno != EEXIST) {
		*cause = xasprintf("mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Write one part to dir/N for the first free N; 0 or -1 with *cause. */
static int
simulate_write_part(const char *dir, GSM_SMSMessage *sms,
    GSM_SMS_Backup *backup, char **cause)
{
	struct stat st;
	char *tmp, *path;
	GSM_Error err;
	int fd, n, rc = -1;

	tmp = xasprintf("%s/.tmpXXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1) {
		*cause = xasprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	close(fd);
	backup->SMS[0] = sms;
	backup->SMS[1] = NULL;
	err = GSM_AddSMSBackupFile(tmp, backup);	/* appends */
	backup->SMS[0] = NULL;
	if (err != ERR_NONE || stat(tmp, &st) == -1 || st.st_size == 0) {
		*cause = xasprintf("%s: cannot write: %s", tmp,
		    err != ERR_NONE ? GSM_ErrorString(err) : strerror(errno));
		goto out;
	}
	for (n = 1; n <= SIMULATE_MAX_LOCATION; n++) {
		path = xasprintf("%s/%d", dir, n);
		if (link(tmp, path) == 0) {
			free(path);
			rc = 0;
			goto out;
		}
		free(path);
		if (errno != EEXIST) {
			*cause = xasprintf("%s/%d: %s", dir, n, strerror(errno));
			goto out;
		}
	}
	*cause = xasprintf("%s: inbox full (%d messages)", dir,
	    SIMULATE_MAX_LOCATION);
out:
	unlink(tmp);
	free(tmp);
	return rc;
}

int
modem_simulate(const struct config *cf, const struct config_modem *m,
    const char *sender, const char *text, char **cause)
{
	GSM_MultiPartSMSInfo *info = NULL;
	GSM_MultiSMSMessage *ms = NULL;
	GSM_SMS_Backup *backup = NULL;
	GSM_DateTime dt;
	unsigned char *ucs2 = NULL;
	char *dir = NULL, *sms = NULL, *inbox = NULL;
	struct tm tm;
	time_t now;
	GSM_Error err;
	size_t len;
	int i, rc = -1;

	*cause = NULL;
	if (m->model == NULL || strcasecmp(m->model, "dummy") != 0) {
		*cause = xasprintf("modem %s is not a dummy phone (model = %s)",
		    m->name, m->model != NULL && *m->model != '\0' ?
		    m->model : "auto");
		return -1;
	}
	len = strlen(sender);
	if (len == 0 || len >= PHONE_MAX || !proto_utf8_valid(sender, len)) {
		*cause = xasprintf("invalid sender \"%s\"", sender);
		return -1;
	}
	len = strlen(text);
	if (!proto_utf8_valid(text, len)) {
		*cause = xstrdup("the text is not valid UTF-8");
		return -1;
	}
	ucs2 = xmalloc(2 * len + 4);
	DecodeUTF8(ucs2, text, len);
	if (UnicodeLength(ucs2) > SIMULATE_MAX_UNITS) {
		*cause = xasprintf("the text is too long (%zu UTF-16 units, at "
		    "most %d)", (size_t)UnicodeLength(ucs2),
		    SIMULATE_MAX_UNITS);
		goto out;
	}

	if (m->device[0] == '/')
		dir = xstrdup(m->device);
	else
		dir = xasprintf("%s/%s", cf->dir, m->device);
	sms = xasprintf("%s/sms", dir);
	inbox = xasprintf("%s/sms/1", dir);
	if (simulate_mkdir(dir, cause) != 0 ||
	    simulate_mkdir(sms, cause) != 0 ||
	    simulate_mkdir(inbox, cause) != 0)
		goto out;

	info = xcalloc(1, sizeof *info);
	ms = xcalloc(1, sizeof *ms);
	GSM_ClearMultiPartSMSInfo(info);
	info->EntriesNum = 1;
	info->UnicodeCoding = FALSE;
	info->Entries[0].ID = SMS_ConcatenatedAutoTextLong;
	info->Entries[0].Buffer = ucs2;
	err = GSM_EncodeMultiPartSMS(GSM_GetGlobalDebug(), info, ms);
	info->Entries[0].Buffer = NULL;
	if (err != ERR_NONE || ms->Number < 1) {
		*cause = xasprintf("cannot encode the text: %s",
		    GSM_ErrorString(err));
		goto out;
	}

	/* UTC, Timezone 0: saved as ...Z and read back as UTC. */
	now = now_real();
	gmtime_r(&now, &tm);
	memset(&dt, 0, sizeof dt);
	dt.Year = tm.tm_year + 1900;
	dt.Month = tm.tm_mon + 1;
	dt.Day = tm.tm_mday;
	dt.Hour = tm.tm_hour;
	dt.Minute = tm.tm_min;
	dt.Second = tm.tm_sec;
	dt.Timezone = 0;

	backup = xcalloc(1, sizeof *backup);
	for (i = 0; i < ms->Number; i++) {
		ms->SMS[i].PDU = SMS_Deliver;
		DecodeUTF8(ms->SMS[i].Number, sender, strlen(sender));
		ms->SMS[i].DateTime = dt;
		ms->SMS[i].State = SMS_UnRead;
		ms->SMS[i].Folder = 1;
		ms->SMS[i].InboxFolder = TRUE;
		if (simulate_write_part(inbox, &ms->SMS[i], backup, cause) != 0)
			goto out;
	}
	rc = ms->Number;
out:
	free(backup);		/* its SMS pointers are ours: no FreeSMSBackup */
	free(ms);
	free(info);
	free(ucs2);
	free(inbox);
	free(sms);
	free(dir);
	return rc;
}
