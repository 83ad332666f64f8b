/*
 * worker_phone — the modem worker's dealings with the phone beyond SMS:
 * hanging up incoming calls (hangup_calls: a missed call is free for the
 * caller) and reporting each once as CALL, and the periodic health
 * reading (signal, battery, network, SIM storage) sent as HEALTH, which
 * also starts draining a SIM that is nearly full.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gammu.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "gateway/util.h"
#include "modems/proto.h"
#include "modems/worker.h"

#define WORKER_CALL_QUIET_MS	30000	/* same caller this long: same call */
#define WORKER_REHANGUP_MS	5000	/* still ringing: hang up again */
#define WORKER_HEALTH_DEFAULT	60	/* s, if the config has none */
#define WORKER_SIM_FULL_DEFAULT	80	/* percent */

/*
 * Hang up the calls the callback noted and report each call once: RING
 * and +CLIP repeat every few seconds while a call rings, so a caller heard
 * within WORKER_CALL_QUIET_MS of the last ring is the same call (hung up
 * again if still ringing WORKER_REHANGUP_MS after our hang-up).
 */
void
worker_handle_calls(struct worker *w)
{
	struct proto_msg msg;
	char calls[WORKER_CALLS_MAX][PHONE_MAX];
	char number[PHONE_MAX], masked[PHONE_MAX];
	GSM_Error err;
	int64_t now;
	int i, n, same;

	/* A copy: hanging up reads the port, and the callback may note more. */
	n = w->ncalls;
	memcpy(calls, w->calls, sizeof calls);
	w->ncalls = 0;
	for (i = 0; i < n && w->connected; i++) {
		memcpy(number, calls[i], sizeof number);
		number[sizeof number - 1] = '\0';
		now = now_ms();
		same = strcmp(number, w->call_number) == 0 &&
		    now - w->call_seen_ms < WORKER_CALL_QUIET_MS;
		w->call_seen_ms = now;
		if (same && now - w->call_hangup_ms < WORKER_REHANGUP_MS)
			continue;
		if (!same)
			snprintf(w->call_number, sizeof w->call_number, "%s",
			    number);
		err = GSM_CancelCall(w->sm, 0, TRUE);
		w->call_hangup_ms = now_ms();
		if (err != ERR_NONE)
			log_warn("modem %s: hang up call from %s: %s", w->name,
			    phone_mask(number, masked), GSM_ErrorString(err));
		if (!same) {
			log_info("modem %s: call from %s hung up", w->name,
			    phone_mask(number, masked));
			memset(&msg, 0, sizeof msg);
			msg.type = PROTO_CALL;
			msg.number = number;
			msg.at = (int64_t)time(NULL);
			worker_write(w, &msg);
		}
		if (err != ERR_NONE && worker_is_broken(err)) {
			worker_disconnect(w, "hang up", err);
			return;
		}
	}
}

/* GSM_NetworkInfo_State as the word HEALTH carries. */
static const char *
worker_network_state(GSM_NetworkInfo_State st)
{
	switch (st) {
	case GSM_HomeNetwork:
		return "home";
	case GSM_RoamingNetwork:
		return "roaming";
	case GSM_RequestingNetwork:
		return "searching";
	case GSM_RegistrationDenied:
		return "denied";
	case GSM_NoNetwork:
		return "none";
	default:
		return "";
	}
}

/*
 * One health call's error: 0 to go on (the field stays unknown), -1 when
 * the link is gone (disconnected then).
 */
static int
worker_health_err(struct worker *w, const char *what, GSM_Error err)
{
	if (err == ERR_NONE)
		return 0;
	if (worker_is_broken(err)) {
		worker_disconnect(w, what, err);
		return -1;
	}
	log_debug("modem %s: %s: %s", w->name, what, GSM_ErrorString(err));
	return 0;
}

/*
 * Read signal, battery, network and SIM storage, send HEALTH, and drain
 * a SIM that is nearly full. What the phone cannot tell is -1 or "".
 */
void
worker_health(struct worker *w)
{
	GSM_SignalQuality sq;
	GSM_BatteryCharge bc;
	GSM_NetworkInfo ni;
	GSM_SMSMemoryStatus st;
	struct proto_msg msg;
	const unsigned char *name;
	char code[sizeof ni.NetworkCode];
	GSM_Error err;
	size_t i, n;
	int warn, interval;

	interval = w->cf->health_interval > 0 ? w->cf->health_interval :
	    WORKER_HEALTH_DEFAULT;
	w->next_health_ms = now_ms() + (int64_t)interval * 1000;
	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_HEALTH;
	msg.signal = msg.battery = msg.sim_used = msg.sim_total = -1;

	memset(&sq, 0, sizeof sq);
	err = GSM_GetSignalQuality(w->sm, &sq);
	if (worker_health_err(w, "signal quality", err) != 0)
		goto out;
	if (err == ERR_NONE && sq.SignalPercent >= 0 && sq.SignalPercent <= 100)
		msg.signal = sq.SignalPercent;
	worker_service(w, 0);

	memset(&bc, 0, sizeof bc);
	err = GSM_GetBatteryCharge(w->sm, &bc);
	if (worker_health_err(w, "battery charge", err) != 0)
		goto out;
	if (err == ERR_NONE && bc.BatteryPercent >= 0 &&
	    bc.BatteryPercent <= 100)
		msg.battery = bc.BatteryPercent;
	worker_service(w, 0);

	memset(&ni, 0, sizeof ni);
	err = GSM_GetNetworkInfo(w->sm, &ni);
	if (worker_health_err(w, "network info", err) != 0)
		goto out;
	if (err == ERR_NONE) {
		msg.network = xstrdup(worker_network_state(ni.State));
		/* libgammu writes "460 00"; HEALTH carries "46000". */
		ni.NetworkCode[sizeof ni.NetworkCode - 1] = '\0';
		for (i = n = 0; ni.NetworkCode[i] != '\0'; i++)
			if (ni.NetworkCode[i] >= '0' && ni.NetworkCode[i] <= '9')
				code[n++] = ni.NetworkCode[i];
		code[n] = '\0';
		msg.op_code = xstrdup(code);
		/* UCS-2, not always terminated within its 20 characters. */
		n = worker_ucs2_len(ni.NetworkName, sizeof ni.NetworkName / 2);
		if (n == 0 && ni.NetworkCode[0] != '\0') {
			/* libgammu's own table, by "460 00". */
			name = GSM_GetNetworkName(ni.NetworkCode);
			msg.op_name = worker_ucs2_utf8(name, 64);
		} else
			msg.op_name = worker_ucs2_utf8(ni.NetworkName,
			    sizeof ni.NetworkName / 2);
	}
	worker_service(w, 0);

	memset(&st, 0, sizeof st);
	err = GSM_GetSMSStatus(w->sm, &st);
	if (worker_health_err(w, "SMS status", err) != 0)
		goto out;
	if (err == ERR_NONE && st.SIMSize > 0) {
		msg.sim_used = st.SIMUsed;
		msg.sim_total = st.SIMSize;
	}

	worker_write(w, &msg);
	warn = w->cf->sim_full_warn > 0 ? w->cf->sim_full_warn :
	    WORKER_SIM_FULL_DEFAULT;
	if (msg.sim_total > 0 &&
	    (int64_t)msg.sim_used * 100 >= (int64_t)msg.sim_total * warn) {
		log_warn("modem %s: SIM storage %d of %d used: reading it now",
		    w->name, msg.sim_used, msg.sim_total);
		w->next_poll_ms = 0;
		w->draining = 1;
	}
out:
	proto_msg_clear(&msg);
}


#define WORKER_USSD_WAIT_MS	20000

void
worker_cb_ussd(GSM_StateMachine *sm, GSM_USSDMessage *u, void *arg)
{
	struct worker *w = arg;

	(void)sm;
	free(w->ussd_text);
	w->ussd_text = worker_ucs2_utf8(u->Text, GSM_MAX_USSD_LENGTH);
	w->ussd_got = u->Status == USSD_NoActionNeeded ||
	    u->Status == USSD_ActionNeeded ? 1 : -1;
}

/*
 * The SIM's credit: dial balance_ussd (a code on the modem's own network)
 * and wait for the answer, which libgammu hands to worker_cb_ussd; send it
 * as USSD, or an empty text and why. Retried after a minute when the
 * network gave nothing, else after balance_interval.
 */
void
worker_balance(struct worker *w)
{
	struct proto_msg msg;
	GSM_Error err;
	int64_t deadline;
	const char *why = NULL;

	w->next_balance_ms = now_ms() + (int64_t)w->m->balance_interval * 1000;
	w->ussd_got = 0;
	log_debug("modem %s: dialling %s for the balance", w->name,
	    w->m->balance_ussd);
	err = GSM_DialService(w->sm, w->m->balance_ussd);
	if (err != ERR_NONE) {
		if (worker_is_broken(err)) {
			worker_disconnect(w, "dialling the balance code", err);
			return;
		}
		why = GSM_ErrorString(err);
	}
	deadline = now_ms() + WORKER_USSD_WAIT_MS;
	while (why == NULL && w->ussd_got == 0 && now_ms() < deadline) {
		if (worker_read_device(w) == -1) {
			worker_disconnect(w, "waiting for the balance",
			    ERR_DEVICEREADERROR);
			return;
		}
		worker_service(w, 0);
		if (!w->connected)
			return;
	}
	if (why == NULL && w->ussd_got == 0)
		why = "no answer from the network";
	else if (why == NULL && w->ussd_got == -1)
		why = "the network refused the code";
	if (why != NULL)
		w->next_balance_ms = now_ms() + 60000;
	memset(&msg, 0, sizeof msg);
	msg.type = PROTO_USSD;
	msg.text = why == NULL && w->ussd_text != NULL ? w->ussd_text : "";
	msg.error = (char *)(why != NULL ? why : "");
	worker_write(w, &msg);
	free(w->ussd_text);
	w->ussd_text = NULL;
}
