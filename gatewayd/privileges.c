/*
 * privileges.c: gatewayd drops root after binding (see privileges.h).
 */
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privileges.h"

static uint32_t privileges_needed(const struct gateway_conf *conf);

uid_t privileges_final_uid(const struct gateway_conf *conf)
{
	if (geteuid() == 0 && conf->identity.set)
		return conf->identity.uid;
	return geteuid();
}

/* The capabilities gatewayd keeps, as a bit mask (all below 32). */
static uint32_t privileges_needed(const struct gateway_conf *conf)
{
	uint32_t caps = 1u << CAP_SETUID | 1u << CAP_SETGID | 1u << CAP_KILL;

	for (size_t i = 0; i < conf->function_count; i++) {
		if (conf->functions[i].chroot != NULL)
			caps |= 1u << CAP_SYS_CHROOT;
		if (conf->functions[i].network_none)
			caps |= 1u << CAP_SYS_ADMIN;
	}
	return caps;
}

int privileges_drop(const struct gateway_conf *conf, char *err, size_t err_len)
{
	const struct conf_identity *id = &conf->identity;
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
	const char *step;

	if (geteuid() != 0 || !id->set || id->uid == 0)
		return 0;
	step = "prctl(PR_SET_KEEPCAPS)";
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		goto err;
	step = "setgroups";
	if (setgroups(1, &id->gid) < 0)
		goto err;
	step = "setgid";
	if (setresgid(id->gid, id->gid, id->gid) < 0)
		goto err;
	step = "setuid";
	if (setresuid(id->uid, id->uid, id->uid) < 0)
		goto err;
	step = "capset";
	data[0].permitted = data[0].effective = privileges_needed(conf);
	if (syscall(SYS_capset, &header, data) < 0)
		goto err;
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	uid_t r, e, saved;
	if (getresuid(&r, &e, &saved) < 0 || r != id->uid || e != id->uid || saved != id->uid) {
		snprintf(err, err_len, "user %s: the uid did not change", id->user);
		return -1;
	}
	return 0;

err:
	snprintf(err, err_len, "user %s: %s: %s", id->user, step, strerror(errno));
	return -1;
}
