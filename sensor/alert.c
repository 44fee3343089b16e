/* alert.c - built-in signatures and alert records (see alert.h). */
#include "alert.h"
#include "record.h"
#include "stratum_flow.h"

#define CAT_MINING "Crypto Currency Mining Activity Detected"

static const struct signature sigs[SIG__COUNT] = {
	[SIG_STRATUM_CLIENT] = { 4960001, 1, 1, "DAVY MINING Stratum client session (login, subscribe, authorize or submit)",
				 CAT_MINING },
	[SIG_STRATUM_SERVER] = { 4960002, 1, 1, "DAVY MINING Stratum pool messages seen from the server side alone",
				 CAT_MINING },
	[SIG_NDPI_MINING] = { 4960003, 1, 2, "DAVY MINING nDPI classified the flow as Mining, stream not readable as Stratum",
			      CAT_MINING },
	[SIG_STRATUM_V2] = { 4960004, 1, 3, "DAVY MINING possible Stratum V2 (Noise handshake 64/170 bytes, framed records)",
			     CAT_MINING },
};

const struct signature *alert_signature(enum alert_sig s)
{
	return (unsigned)s < SIG__COUNT ? &sigs[s] : NULL;
}

static void meta(struct jbuf *j, const char *key, const char *val)
{
	jb_arr_open(j, key);
	jb_str(j, NULL, val);
	jb_arr_close(j);
}

size_t record_alert(struct jbuf *j, const struct classifier *c, const struct flow *f,
		    enum alert_sig s, int dir, uint64_t ts_us, const char *sensor)
{
	const struct signature *sg = alert_signature(s);
	char ts[RECORD_TIME_LEN];
	record_time(ts, ts_us);
	jb_str(j, "timestamp", ts);
	jb_u64(j, "flow_id", record_flow_id(f));
	jb_str(j, "event_type", "alert");
	record_flow_header(j, f);
	jb_str(j, "direction", dir == 0 ? "to_server" : "to_client");
	record_app_proto(j, c, f);

	jb_obj_open(j, "alert");
	jb_str(j, "action", "allowed");
	jb_u64(j, "gid", 1);
	jb_u64(j, "signature_id", sg->sid);
	jb_u64(j, "rev", sg->rev);
	jb_str(j, "signature", sg->msg);
	jb_str(j, "category", sg->category);
	jb_u64(j, "severity", sg->severity);
	jb_obj_open(j, "metadata");
	meta(j, "mitre_tactic_id", "TA0040");
	meta(j, "mitre_tactic_name", "Impact");
	meta(j, "mitre_technique_id", "T1496");
	meta(j, "mitre_technique_name", "Resource_Hijacking");
	jb_obj_close(j);
	jb_obj_close(j);

	if (f->stratum && f->stratum->info.dialect != STRATUM_NONE)
		record_stratum(j, &f->stratum->info);
	record_flow_summary(j, f);
	jb_obj_open(j, "sensor");
	jb_str(j, "name", sensor);
	jb_obj_close(j);
	return jb_finish(j);
}
