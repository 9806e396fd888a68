// SPDX-License-Identifier: GPL-2.0
/*
 * rtmgrctl - userspace client for nlgreet.ko and rtmgr.ko.
 *
 * Two threads, as in the course: the sender thread sends each request and
 * waits for it to complete; the receiver thread reads every message from the
 * socket, prints it, and completes the pending request whose seq it carries.
 *
 *   rtmgrctl [--proto N | --genl] [options] COMMAND ...
 *
 * See usage() and kmod/README.md.  Exit status: 0 on success, the errno of
 * the first kernel error (e.g. 17 EEXIST, 2 ENOENT, 22 EINVAL), 100 for a
 * usage error, 101 for a local system error, 102 for a timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rtmgr.h"

#define EXIT_USAGE	100
#define EXIT_SYSTEM	101
#define EXIT_TIMEOUT	102

#define RXBUF_SIZE	(64 * 1024)

/* ---- options and state -------------------------------------------------- */

static struct {
	int proto;		/* raw protocol, or NETLINK_GENERIC with genl */
	bool genl;
	double timeout;		/* seconds to wait for each request */
	bool timeout_set;
	bool quiet;		/* print only errors and summaries */
	bool no_request;	/* greet: NLM_F_ACK without NLM_F_REQUEST */
	int flags;		/* send/greet: explicit nlmsg_flags, or -1 */
	long count;		/* monitor: stop after this many events */
} opt = {
	.proto = RTMGR_DEFAULT_PROTO,
	.timeout = 10.0,
	.flags = -1,
	.count = -1,
};

static int sock_fd = -1;
static uint32_t my_portid;

/* genl: resolved from CTRL_CMD_NEWFAMILY */
static uint16_t genl_family_id;
static uint32_t genl_events_grp;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

enum wait_kind {
	WAIT_ACK,	/* done on NLMSG_ERROR (ack or error) */
	WAIT_REPLY,	/* done on the first reply or an error (no NLM_F_ACK) */
	WAIT_DUMP,	/* done on NLMSG_DONE or an error */
	WAIT_ANY,	/* done on any message (seq unknown, senddgram) */
};

/* The one outstanding request (the sender waits for each in turn). */
static struct {
	bool active;
	uint32_t seq;
	enum wait_kind kind;
	bool done;
	int error;		/* kernel errno, positive; 0 = fine */
	unsigned int replies;
} pend;

static volatile sig_atomic_t stop_flag;
static bool rx_quit;		/* receiver: stop (under lock) */
static int wake_pipe[2] = { -1, -1 };	/* wakes the receiver's poll() */
static long events_seen;
static unsigned int seq_next = 1;

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "rtmgrctl: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(code);
}

/* ---- printing helpers --------------------------------------------------- */

static const char *errno_name(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

static const char *raw_type_name(int type)
{
	switch (type) {
	case NLMSG_NOOP:	return "NLMSG_NOOP";
	case NLMSG_ERROR:	return "NLMSG_ERROR";
	case NLMSG_DONE:	return "NLMSG_DONE";
	case NLMSG_OVERRUN:	return "NLMSG_OVERRUN";
	case RTMGR_MSG_GREET:	return "NLGREET";
	case RTMGR_MSG_CREATE:	return "RT_CREATE";
	case RTMGR_MSG_UPDATE:	return "RT_UPDATE";
	case RTMGR_MSG_DELETE:	return "RT_DELETE";
	case RTMGR_MSG_GET:	return "RT_GET";
	default:		return "UNKNOWN";
	}
}

static const char *genl_cmd_name(int cmd)
{
	switch (cmd) {
	case RTMGR_CMD_CREATE:	return "CREATE";
	case RTMGR_CMD_UPDATE:	return "UPDATE";
	case RTMGR_CMD_DELETE:	return "DELETE";
	case RTMGR_CMD_GET:	return "GET";
	default:		return "UNKNOWN";
	}
}

/* "0x0305(REQUEST|ACK|ROOT|MATCH)": names of the high bits depend on the type. */
static void fmt_flags(char *buf, size_t len, int type, uint16_t flags, bool is_get)
{
	static const char *const low[] = {
		"REQUEST", "MULTI", "ACK", "ECHO", "DUMP_INTR", "DUMP_FILTERED",
	};
	static const char *const get[] = { "ROOT", "MATCH", "ATOMIC" };
	static const char *const err[] = { "CAPPED", "ACK_TLVS" };
	size_t n = snprintf(buf, len, "0x%04x(", flags);
	bool first = true;
	unsigned int i;

#define ADD(name) do { \
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", first ? "" : "|", name); \
		first = false; \
	} while (0)
	for (i = 0; i < 6; i++)
		if (flags & (1u << i))
			ADD(low[i]);
	for (i = 0; i < 3; i++) {
		if (!(flags & (0x100u << i)))
			continue;
		if (type == NLMSG_ERROR && i < 2)
			ADD(err[i]);
		else if (is_get)
			ADD(get[i]);
		else {
			char tmp[16];

			snprintf(tmp, sizeof(tmp), "0x%x", 0x100u << i);
			ADD(tmp);
		}
	}
	if (flags & 0xf840) {
		char tmp[16];

		snprintf(tmp, sizeof(tmp), "0x%x", flags & 0xf840);
		ADD(tmp);
	}
#undef ADD
	if (n < len)
		snprintf(buf + n, len - n, ")");
}

static void fmt_ip(char *buf, uint32_t be)
{
	struct in_addr a = { .s_addr = be };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void print_route_struct(FILE *f, const struct rtmgr_route *r)
{
	char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	fmt_ip(d, r->dest);
	fmt_ip(g, r->gw);
	fprintf(f, " route=%s/%u gw=%s oif=\"%.*s\" metric=%u", d, r->mask, g,
		(int)strnlen(r->oif, sizeof(r->oif)), r->oif, r->metric);
}

/* Print a quoted string with non-printables escaped. */
static void print_quoted(FILE *f, const char *s, size_t n)
{
	size_t i;

	fputc('"', f);
	for (i = 0; i < n && s[i]; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* ---- attributes --------------------------------------------------------- */

struct attr_buf {
	char *buf;
	size_t len, cap;
};

static void ab_put(struct attr_buf *ab, uint16_t type, const void *data, size_t len)
{
	struct nlattr nla = { .nla_len = NLA_HDRLEN + len, .nla_type = type };
	size_t need = NLA_ALIGN(NLA_HDRLEN + len);

	if (ab->len + need > ab->cap)
		die(EXIT_USAGE, "message too large");
	memcpy(ab->buf + ab->len, &nla, sizeof(nla));
	memcpy(ab->buf + ab->len + NLA_HDRLEN, data, len);
	memset(ab->buf + ab->len + NLA_HDRLEN + len, 0, need - NLA_HDRLEN - len);
	ab->len += need;
}

/* Walk attributes in [p, p+len) into tb[0..max] (last one wins). */
static void parse_attrs(const void *p, size_t len, const struct nlattr **tb, int max)
{
	const char *c = p;

	memset(tb, 0, sizeof(*tb) * (max + 1));
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)c;
		size_t alen = a->nla_len, step;
		int type = a->nla_type & NLA_TYPE_MASK;

		if (alen < NLA_HDRLEN || alen > len)
			break;
		if (type <= max)
			tb[type] = a;
		step = NLA_ALIGN(alen);
		if (step >= len)
			break;
		c += step;
		len -= step;
	}
}

#define NLA_DATA(a)	((const char *)(a) + NLA_HDRLEN)
#define NLA_PLEN(a)	((size_t)(a)->nla_len - NLA_HDRLEN)

static uint32_t nla_u32_or(const struct nlattr *a, uint32_t dflt)
{
	uint32_t v;

	if (!a || NLA_PLEN(a) < 4)
		return dflt;
	memcpy(&v, NLA_DATA(a), 4);
	return v;
}

static void print_genl_route(FILE *f, const void *attrs, size_t len)
{
	const struct nlattr *tb[RTMGR_A_MAX + 1];
	char ip[INET_ADDRSTRLEN];

	parse_attrs(attrs, len, tb, RTMGR_A_MAX);
	if (tb[RTMGR_A_DEST]) {
		fmt_ip(ip, nla_u32_or(tb[RTMGR_A_DEST], 0));
		fprintf(f, " route=%s/", ip);
		if (tb[RTMGR_A_MASK] && NLA_PLEN(tb[RTMGR_A_MASK]) >= 1)
			fprintf(f, "%u", *(const uint8_t *)NLA_DATA(tb[RTMGR_A_MASK]));
		else
			fprintf(f, "?");
	}
	if (tb[RTMGR_A_GW]) {
		fmt_ip(ip, nla_u32_or(tb[RTMGR_A_GW], 0));
		fprintf(f, " gw=%s", ip);
	}
	if (tb[RTMGR_A_OIF]) {
		fprintf(f, " oif=");
		print_quoted(f, NLA_DATA(tb[RTMGR_A_OIF]), NLA_PLEN(tb[RTMGR_A_OIF]));
	}
	if (tb[RTMGR_A_METRIC])
		fprintf(f, " metric=%u", nla_u32_or(tb[RTMGR_A_METRIC], 0));
}

/* ---- receiving ---------------------------------------------------------- */

/* NLMSG_ERROR: error code, the echoed request, extended-ACK TLVs. */
static int print_error_msg(FILE *f, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN, echo, off;
	const struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];

	if (plen < sizeof(*e)) {
		fprintf(f, " truncated-nlmsgerr\n");
		return EINVAL;
	}
	if (e->error == 0)
		fprintf(f, " error=0 ACK");
	else
		fprintf(f, " error=%d errno=%s strerror=\"%s\"", e->error,
			errno_name(-e->error), strerror(-e->error));
	fprintf(f, " req_type=%u req_seq=%u", e->msg.nlmsg_type, e->msg.nlmsg_seq);

	echo = (nlh->nlmsg_flags & NLM_F_CAPPED) ? sizeof(e->msg) : e->msg.nlmsg_len;
	if (echo < sizeof(e->msg))
		echo = sizeof(e->msg);
	off = NLMSG_ALIGN(sizeof(int) + echo);
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && off < plen) {
		parse_attrs((const char *)e + off, plen - off, tb, NLMSGERR_ATTR_MAX);
		if (tb[NLMSGERR_ATTR_MSG]) {
			fprintf(f, " extack=");
			print_quoted(f, NLA_DATA(tb[NLMSGERR_ATTR_MSG]),
				     NLA_PLEN(tb[NLMSGERR_ATTR_MSG]));
		}
		if (tb[NLMSGERR_ATTR_OFFS])
			fprintf(f, " offs=%u", nla_u32_or(tb[NLMSGERR_ATTR_OFFS], 0));
		if (tb[NLMSGERR_ATTR_MISS_TYPE])
			fprintf(f, " miss_type=%u", nla_u32_or(tb[NLMSGERR_ATTR_MISS_TYPE], 0));
		if (tb[NLMSGERR_ATTR_MISS_NEST])
			fprintf(f, " miss_nest=%u", nla_u32_or(tb[NLMSGERR_ATTR_MISS_NEST], 0));
		if (tb[NLMSGERR_ATTR_POLICY])
			fprintf(f, " policy=yes");
	}
	return e->error ? -e->error : 0;
}

static void handle_newfamily(FILE *f, const struct genlmsghdr *g, size_t len)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];
	const struct nlattr *grp;

	parse_attrs(g + 1, len - GENL_HDRLEN, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_NAME]) {
		fprintf(f, " name=");
		print_quoted(f, NLA_DATA(tb[CTRL_ATTR_FAMILY_NAME]),
			     NLA_PLEN(tb[CTRL_ATTR_FAMILY_NAME]));
	}
	if (tb[CTRL_ATTR_FAMILY_ID] && NLA_PLEN(tb[CTRL_ATTR_FAMILY_ID]) >= 2) {
		memcpy(&genl_family_id, NLA_DATA(tb[CTRL_ATTR_FAMILY_ID]), 2);
		fprintf(f, " id=%u", genl_family_id);
	}
	grp = tb[CTRL_ATTR_MCAST_GROUPS];
	if (grp) {
		const char *p = NLA_DATA(grp);
		size_t rem = NLA_PLEN(grp);

		/* an array of nests, each with GRP_NAME and GRP_ID */
		while (rem >= NLA_HDRLEN) {
			const struct nlattr *n = (const void *)p;
			const struct nlattr *gt[CTRL_ATTR_MCAST_GRP_MAX + 1];
			size_t step;

			if (n->nla_len < NLA_HDRLEN || n->nla_len > rem)
				break;
			parse_attrs(NLA_DATA(n), NLA_PLEN(n), gt, CTRL_ATTR_MCAST_GRP_MAX);
			if (gt[CTRL_ATTR_MCAST_GRP_NAME] && gt[CTRL_ATTR_MCAST_GRP_ID]) {
				const char *name = NLA_DATA(gt[CTRL_ATTR_MCAST_GRP_NAME]);
				uint32_t id = nla_u32_or(gt[CTRL_ATTR_MCAST_GRP_ID], 0);

				fprintf(f, " mcast_group=%.*s:%u",
					(int)strnlen(name, NLA_PLEN(gt[CTRL_ATTR_MCAST_GRP_NAME])),
					name, id);
				if (!strcmp(name, RTMGR_GENL_MCGRP_EVENTS))
					genl_events_grp = id;
			}
			step = NLA_ALIGN(n->nla_len);
			if (step >= rem)
				break;
			p += step;
			rem -= step;
		}
	}
}

/* Are bits 0x100..0x400 GET-request modifiers (ROOT, MATCH, ATOMIC)? */
static bool is_get_request(const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);

	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		return false;
	if (!opt.genl)
		return nlh->nlmsg_type == RTMGR_MSG_GET;
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return false;
	if (nlh->nlmsg_type == GENL_ID_CTRL)
		return g->cmd == CTRL_CMD_GETFAMILY;
	return nlh->nlmsg_type == genl_family_id && g->cmd == RTMGR_CMD_GET;
}

/*
 * Print one received message to @f (a /dev/null stream when quiet: the
 * parse still records what CTRL_CMD_NEWFAMILY told); returns the kernel
 * errno carried by NLMSG_ERROR / NLMSG_DONE.
 */
static int print_message(FILE *f, const struct nlmsghdr *nlh, bool event, uint32_t group)
{
	char fl[96];
	int ret = 0;

	fmt_flags(fl, sizeof(fl), nlh->nlmsg_type, nlh->nlmsg_flags, is_get_request(nlh));
	fprintf(f, "%s seq=%u portid=%u", event ? "event" : "recv",
		nlh->nlmsg_seq, nlh->nlmsg_pid);
	if (event)
		fprintf(f, " group=%u", group);

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		fprintf(f, " type=NLMSG_ERROR(%u) flags=%s len=%u", NLMSG_ERROR, fl, nlh->nlmsg_len);
		ret = print_error_msg(f, nlh);
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		int status = 0;

		if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
			memcpy(&status, NLMSG_DATA(nlh), sizeof(int));
		fprintf(f, " type=NLMSG_DONE(%u) flags=%s len=%u status=%d",
			NLMSG_DONE, fl, nlh->nlmsg_len, status);
		if (status < 0)
			ret = -status;
	} else if (opt.genl) {
		const struct genlmsghdr *g = NLMSG_DATA(nlh);
		size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;

		if (nlh->nlmsg_type == GENL_ID_CTRL)
			fprintf(f, " type=nlctrl(0x%x)", nlh->nlmsg_type);
		else if (genl_family_id && nlh->nlmsg_type == genl_family_id)
			fprintf(f, " type=%s(0x%x)", RTMGR_GENL_NAME, nlh->nlmsg_type);
		else
			fprintf(f, " type=UNKNOWN(0x%x)", nlh->nlmsg_type);
		fprintf(f, " flags=%s len=%u", fl, nlh->nlmsg_len);
		if (plen >= GENL_HDRLEN) {
			if (nlh->nlmsg_type == GENL_ID_CTRL) {
				fprintf(f, " cmd=%s(%u) version=%u",
					g->cmd == CTRL_CMD_NEWFAMILY ? "CTRL_CMD_NEWFAMILY" : "CTRL_CMD_?",
					g->cmd, g->version);
				if (g->cmd == CTRL_CMD_NEWFAMILY)
					handle_newfamily(f, g, plen);
			} else {
				fprintf(f, " cmd=%s(%u) version=%u", genl_cmd_name(g->cmd),
					g->cmd, g->version);
				print_genl_route(f, g + 1, plen - GENL_HDRLEN);
			}
		}
	} else {
		size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;

		fprintf(f, " type=%s(%u) flags=%s len=%u", raw_type_name(nlh->nlmsg_type),
			nlh->nlmsg_type, fl, nlh->nlmsg_len);
		if (nlh->nlmsg_type == RTMGR_MSG_GREET) {
			fprintf(f, " text=");
			print_quoted(f, NLMSG_DATA(nlh), plen);
		} else if (nlh->nlmsg_type >= RTMGR_MSG_CREATE &&
			   nlh->nlmsg_type <= RTMGR_MSG_GET &&
			   plen >= sizeof(struct rtmgr_route)) {
			print_route_struct(f, NLMSG_DATA(nlh));
		}
	}
	fputc('\n', f);
	return ret;
}

static FILE *null_out;

static bool is_quiet_msg(const struct nlmsghdr *nlh)
{
	if (!opt.quiet)
		return false;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nlh);

		return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error == 0;
	}
	return true;
}

/* Ask the receiver thread to stop now (it also stops by itself on rx_quit). */
static void stop_receiver(void)
{
	char c = 1;

	pthread_mutex_lock(&lock);
	rx_quit = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	/* non-blocking: a full pipe already holds the wake-up */
	if (write(wake_pipe[1], &c, 1) < 0 && errno != EAGAIN)
		perror("rtmgrctl: wake pipe");
}

/* Account one received message against the pending request. */
static void complete(const struct nlmsghdr *nlh, int err)
{
	bool match;

	pthread_mutex_lock(&lock);
	match = pend.active && !pend.done &&
		(pend.kind == WAIT_ANY || nlh->nlmsg_seq == pend.seq);
	if (match) {
		pend.replies++;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			pend.error = err;
			pend.done = true;
		} else if (nlh->nlmsg_type == NLMSG_DONE) {
			if (pend.kind == WAIT_DUMP || pend.kind == WAIT_ANY) {
				pend.error = err;
				pend.done = true;
			}
		} else if (pend.kind == WAIT_REPLY || pend.kind == WAIT_ANY) {
			pend.done = true;
		}
		if (pend.done)
			pthread_cond_broadcast(&cond);
	}
	pthread_mutex_unlock(&lock);
}

static void *receiver(void *arg)
{
	char *buf = malloc(RXBUF_SIZE);

	(void)arg;
	if (!buf)
		die(EXIT_SYSTEM, "out of memory");
	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = sock_fd, .events = POLLIN },
			{ .fd = wake_pipe[0], .events = POLLIN },
		};
		struct sockaddr_nl from;
		struct iovec iov = { buf, RXBUF_SIZE };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		const struct nlmsghdr *nlh;
		ssize_t n;
		int rem;
		bool quit;

		pthread_mutex_lock(&lock);
		quit = rx_quit;
		pthread_mutex_unlock(&lock);
		if (quit || stop_flag)
			break;

		if (poll(pfd, 2, 1000) <= 0)
			continue;
		if (pfd[1].revents & POLLIN) {
			char drain[16];

			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				continue;
			continue;	/* rx_quit is checked at the top */
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		n = recvmsg(sock_fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				fprintf(stdout, "recv: ENOBUFS (socket receive buffer overrun, messages lost)\n");
				continue;
			}
			die(EXIT_SYSTEM, "recvmsg: %s", strerror(errno));
		}
		if (mh.msg_flags & MSG_TRUNC)
			fprintf(stdout, "recv: datagram truncated\n");

		rem = (int)n;
		for (nlh = (const void *)buf; NLMSG_OK(nlh, rem); nlh = NLMSG_NEXT(nlh, rem)) {
			bool event = from.nl_groups != 0;
			int err = 0;

			if (event) {
				events_seen++;
				print_message(stdout, nlh, true, ffs(from.nl_groups));
				if (opt.count > 0 && events_seen >= opt.count) {
					pthread_mutex_lock(&lock);
					rx_quit = true;
					pthread_cond_broadcast(&cond);
					pthread_mutex_unlock(&lock);
				}
				continue;
			}
			err = print_message(is_quiet_msg(nlh) ? null_out : stdout,
					    nlh, false, 0);
			complete(nlh, err);
		}
		if (rem > 0)
			fprintf(stdout, "recv: %d trailing bytes\n", rem);
		fflush(stdout);
	}
	free(buf);
	return NULL;
}

/* ---- sending ------------------------------------------------------------ */

/*
 * Send one message and wait until the receiver completes it.
 * Returns 0, the kernel errno, or EXIT_TIMEOUT.
 */
static int transact(struct nlmsghdr *nlh, enum wait_kind kind, const char *desc,
		    const char *extra)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	struct timespec deadline;
	int ret = 0;

	pthread_mutex_lock(&lock);
	pend.active = true;
	pend.done = false;
	pend.error = 0;
	pend.replies = 0;
	pend.seq = nlh->nlmsg_seq;
	pend.kind = kind;
	pthread_mutex_unlock(&lock);

	if (!opt.quiet) {
		char fl[96];

		fmt_flags(fl, sizeof(fl), nlh->nlmsg_type, nlh->nlmsg_flags,
			  is_get_request(nlh));
		printf("send seq=%u portid=%u type=%s flags=%s len=%u%s%s\n",
		       nlh->nlmsg_seq, nlh->nlmsg_pid, desc, fl, nlh->nlmsg_len,
		       extra ? " " : "", extra ? extra : "");
		fflush(stdout);
	}

	if (sendto(sock_fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		die(EXIT_SYSTEM, "sendto: %s", strerror(errno));

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)opt.timeout;
	deadline.tv_nsec += (long)((opt.timeout - (time_t)opt.timeout) * 1e9);
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&lock);
	while (!pend.done && !stop_flag) {
		if (pthread_cond_timedwait(&cond, &lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (!pend.done) {
		ret = EXIT_TIMEOUT;
		fprintf(stdout, "timeout seq=%u after %.1f s (%u replies)\n",
			pend.seq, opt.timeout, pend.replies);
	} else {
		ret = pend.error;
	}
	pend.active = false;
	pthread_mutex_unlock(&lock);
	fflush(stdout);
	return ret;
}

/* Message buffer: nlmsghdr [+ genlmsghdr] + payload. */
struct msg {
	union {
		struct nlmsghdr nlh;
		char raw[8192];
	};
};

static struct nlmsghdr *msg_init(struct msg *m, uint16_t type, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->nlh.nlmsg_len = NLMSG_HDRLEN;
	m->nlh.nlmsg_type = type;
	m->nlh.nlmsg_flags = flags;
	m->nlh.nlmsg_seq = seq_next++;
	m->nlh.nlmsg_pid = my_portid;
	return &m->nlh;
}

static void msg_append(struct msg *m, const void *data, size_t len)
{
	size_t at = NLMSG_ALIGN(m->nlh.nlmsg_len);

	if (at + len > sizeof(m->raw))
		die(EXIT_USAGE, "message too large");
	memcpy(m->raw + at, data, len);
	m->nlh.nlmsg_len = at + len;
}

/* ---- route arguments ---------------------------------------------------- */

struct route_args {
	uint32_t dest;		/* network order */
	unsigned int mask;
	bool has_gw, has_oif, has_metric;
	uint32_t gw;
	const char *oif;
	uint32_t metric;
};

static void parse_prefix(const char *s, struct route_args *ra)
{
	char buf[64], *slash, *end;
	struct in_addr a;
	unsigned long m = 32;

	if (strlen(s) >= sizeof(buf))
		die(EXIT_USAGE, "bad prefix '%s'", s);
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		m = strtoul(slash + 1, &end, 10);
		/* anything that fits the u8 goes to the kernel, which judges it */
		if (errno || *end || end == slash + 1 || m > 255)
			die(EXIT_USAGE, "bad mask in '%s'", s);
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		die(EXIT_USAGE, "bad IPv4 address in '%s'", s);
	ra->dest = a.s_addr;
	ra->mask = m;
}

/* DEST/MASK [via GW] [dev OIF] [metric N] */
static void parse_route(int argc, char **argv, struct route_args *ra)
{
	int i;

	memset(ra, 0, sizeof(*ra));
	if (argc < 1)
		die(EXIT_USAGE, "missing DEST/MASK");
	parse_prefix(argv[0], ra);
	for (i = 1; i < argc; i += 2) {
		if (i + 1 >= argc)
			die(EXIT_USAGE, "'%s' needs a value", argv[i]);
		if (!strcmp(argv[i], "via")) {
			struct in_addr a;

			if (inet_pton(AF_INET, argv[i + 1], &a) != 1)
				die(EXIT_USAGE, "bad gateway '%s'", argv[i + 1]);
			ra->gw = a.s_addr;
			ra->has_gw = true;
		} else if (!strcmp(argv[i], "dev")) {
			ra->oif = argv[i + 1];
			ra->has_oif = true;
		} else if (!strcmp(argv[i], "metric")) {
			char *end;

			errno = 0;
			unsigned long v = strtoul(argv[i + 1], &end, 0);

			if (errno || *end || v > UINT32_MAX)
				die(EXIT_USAGE, "bad metric '%s'", argv[i + 1]);
			ra->metric = v;
			ra->has_metric = true;
		} else {
			die(EXIT_USAGE, "unknown route keyword '%s'", argv[i]);
		}
	}
}

static void fill_route_struct(const struct route_args *ra, struct rtmgr_route *r)
{
	memset(r, 0, sizeof(*r));
	r->dest = ra->dest;
	r->mask = ra->mask;
	r->gw = ra->gw;
	r->metric = ra->metric;
	if (ra->oif) {
		size_t n = strlen(ra->oif);

		/* 32 characters fill the field with no NUL: the kernel will say so */
		if (n > RTMGR_OIF_LEN)
			die(EXIT_USAGE, "interface name longer than %d characters", RTMGR_OIF_LEN);
		memcpy(r->oif, ra->oif, n);
	}
}

static void fill_route_attrs(const struct route_args *ra, struct attr_buf *ab, bool key_only)
{
	uint8_t mask = ra->mask;

	ab_put(ab, RTMGR_A_DEST, &ra->dest, 4);
	ab_put(ab, RTMGR_A_MASK, &mask, 1);
	if (key_only)
		return;
	if (ra->has_gw)
		ab_put(ab, RTMGR_A_GW, &ra->gw, 4);
	if (ra->has_oif)
		ab_put(ab, RTMGR_A_OIF, ra->oif, strlen(ra->oif) + 1);
	if (ra->has_metric)
		ab_put(ab, RTMGR_A_METRIC, &ra->metric, 4);
}

/* The request's route as "route=D/M gw=G oif="O" metric=N" (the key alone for GET/DELETE). */
static void route_desc(char *buf, size_t len, const struct route_args *ra, bool key_only)
{
	char d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	size_t n;

	fmt_ip(d, ra->dest);
	n = snprintf(buf, len, "route=%s/%u", d, ra->mask);
	if (key_only || n >= len)
		return;
	if (ra->has_gw || !opt.genl) {
		fmt_ip(g, ra->gw);
		n += snprintf(buf + n, len - n, " gw=%s", g);
	}
	if (n < len && (ra->has_oif || !opt.genl))
		n += snprintf(buf + n, len - n, " oif=\"%s\"", ra->oif ? ra->oif : "");
	if (n < len && (ra->has_metric || !opt.genl))
		snprintf(buf + n, len - n, " metric=%u", ra->metric);
}

/* ---- genl --------------------------------------------------------------- */

static struct nlmsghdr *genl_init(struct msg *m, uint16_t family, uint8_t cmd, uint16_t flags)
{
	struct genlmsghdr g = { .cmd = cmd, .version = RTMGR_GENL_VERSION };
	struct nlmsghdr *nlh = msg_init(m, family, flags);

	if (family == GENL_ID_CTRL)
		g.version = 2;
	msg_append(m, &g, sizeof(g));
	return nlh;
}

static int genl_resolve(void)
{
	struct msg m;
	struct nlmsghdr *nlh;
	struct attr_buf ab;
	char attrs[64];
	int err;

	nlh = genl_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST | NLM_F_ACK);
	ab = (struct attr_buf){ attrs, 0, sizeof(attrs) };
	ab_put(&ab, CTRL_ATTR_FAMILY_NAME, RTMGR_GENL_NAME, sizeof(RTMGR_GENL_NAME));
	msg_append(&m, attrs, ab.len);
	err = transact(nlh, WAIT_ACK, "nlctrl(0x10)",
		       "cmd=CTRL_CMD_GETFAMILY(3) name=\"" RTMGR_GENL_NAME "\"");
	if (err)
		return err;
	if (!genl_family_id) {
		fprintf(stdout, "genl family %s not found\n", RTMGR_GENL_NAME);
		return ENOENT;
	}
	return 0;
}

/* ---- commands ----------------------------------------------------------- */

struct cmd_ctx {
	int argc;
	char **argv;
	const char *name;
	int result;
};

static int genl_route_cmd(uint8_t cmd, const struct route_args *ra, uint16_t flags,
			  enum wait_kind kind, bool key_only)
{
	struct msg m;
	struct nlmsghdr *nlh;
	struct attr_buf ab;
	char attrs[256], desc[64], extra[192];
	size_t n;

	nlh = genl_init(&m, genl_family_id, cmd, flags);
	ab = (struct attr_buf){ attrs, 0, sizeof(attrs) };
	if (ra)
		fill_route_attrs(ra, &ab, key_only);
	msg_append(&m, attrs, ab.len);
	snprintf(desc, sizeof(desc), "%s(0x%x)", RTMGR_GENL_NAME, genl_family_id);
	n = snprintf(extra, sizeof(extra), "cmd=%s(%u)", genl_cmd_name(cmd), cmd);
	if (ra) {
		extra[n++] = ' ';
		route_desc(extra + n, sizeof(extra) - n, ra, key_only);
	}
	return transact(nlh, kind, desc, extra);
}

static int raw_route_cmd(uint16_t type, const struct route_args *ra, uint16_t flags,
			 enum wait_kind kind)
{
	struct rtmgr_route r;
	struct msg m;
	struct nlmsghdr *nlh;
	char desc[64], extra[160];

	nlh = msg_init(&m, type, flags);
	snprintf(desc, sizeof(desc), "%s(%u)", raw_type_name(type), type);
	if (ra) {
		fill_route_struct(ra, &r);
		msg_append(&m, &r, sizeof(r));
		route_desc(extra, sizeof(extra), ra,
			   type == RTMGR_MSG_DELETE || type == RTMGR_MSG_GET);
	}
	return transact(nlh, kind, desc, ra ? extra : NULL);
}

static int route_cmd(const char *name, const struct route_args *ra)
{
	static const struct { const char *name; uint16_t type; uint8_t cmd; } map[] = {
		{ "create", RTMGR_MSG_CREATE, RTMGR_CMD_CREATE },
		{ "update", RTMGR_MSG_UPDATE, RTMGR_CMD_UPDATE },
		{ "delete", RTMGR_MSG_DELETE, RTMGR_CMD_DELETE },
		{ "get",    RTMGR_MSG_GET,    RTMGR_CMD_GET },
	};
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK;
	unsigned int i;

	if (opt.flags >= 0)
		flags = opt.flags;
	for (i = 0; i < 4; i++) {
		if (strcmp(name, map[i].name))
			continue;
		if (opt.genl)
			return genl_route_cmd(map[i].cmd, ra, flags,
					      (flags & NLM_F_ACK) ? WAIT_ACK : WAIT_REPLY,
					      map[i].cmd == RTMGR_CMD_DELETE ||
					      map[i].cmd == RTMGR_CMD_GET);
		return raw_route_cmd(map[i].type, ra, flags,
				     (flags & NLM_F_ACK) ? WAIT_ACK : WAIT_REPLY);
	}
	die(EXIT_USAGE, "unknown command '%s'", name);
	return EXIT_USAGE;
}

static int cmd_dump(void)
{
	uint16_t flags = NLM_F_REQUEST | NLM_F_DUMP;

	if (opt.flags >= 0)
		flags = opt.flags;
	if (opt.genl)
		return genl_route_cmd(RTMGR_CMD_GET, NULL, flags, WAIT_DUMP, true);
	return raw_route_cmd(RTMGR_MSG_GET, NULL, flags, WAIT_DUMP);
}

static int cmd_greet(const char *text)
{
	uint16_t flags = opt.no_request ? NLM_F_ACK : NLM_F_REQUEST | NLM_F_ACK;
	struct msg m;
	struct nlmsghdr *nlh;

	if (opt.genl)
		die(EXIT_USAGE, "greet uses the raw protocol (drop --genl)");
	if (opt.flags >= 0)
		flags = opt.flags;
	nlh = msg_init(&m, NLGREET_MSG_GREET, flags);
	msg_append(&m, text, strlen(text) + 1);
	return transact(nlh, (flags & NLM_F_ACK) ? WAIT_ACK : WAIT_REPLY, "NLGREET(20)", NULL);
}

static size_t parse_hex(const char *hex, char *out, size_t cap)
{
	size_t n = 0;

	while (*hex) {
		unsigned int b;

		if (*hex == ' ' || *hex == ':' || *hex == '.') {
			hex++;
			continue;
		}
		if (!hex[1] || sscanf(hex, "%2x", &b) != 1)
			die(EXIT_USAGE, "bad hex string");
		if (n >= cap)
			die(EXIT_USAGE, "hex payload too long");
		out[n++] = b;
		hex += 2;
	}
	return n;
}

/* send TYPE [HEX]: raw message of any type (genl: TYPE is the command). */
static int cmd_send(const char *type_s, const char *hex)
{
	uint16_t flags = opt.flags >= 0 ? opt.flags : NLM_F_REQUEST | NLM_F_ACK;
	char payload[4096], desc[64], extra[64] = "";
	unsigned long type;
	size_t n = 0;
	struct msg m;
	struct nlmsghdr *nlh;
	char *end;

	type = strtoul(type_s, &end, 0);
	if (*end || type > 0xffff)
		die(EXIT_USAGE, "bad type '%s'", type_s);
	if (hex)
		n = parse_hex(hex, payload, sizeof(payload));
	if (opt.genl) {
		if (type > 0xff)
			die(EXIT_USAGE, "genl command must be 0..255");
		nlh = genl_init(&m, genl_family_id, type, flags);
		snprintf(desc, sizeof(desc), "%s(0x%x)", RTMGR_GENL_NAME, genl_family_id);
		snprintf(extra, sizeof(extra), "cmd=%s(%lu)", genl_cmd_name(type), type);
	} else {
		nlh = msg_init(&m, type, flags);
		snprintf(desc, sizeof(desc), "%s(%lu)", raw_type_name(type), type);
	}
	if (n)
		msg_append(&m, payload, n);
	return transact(nlh, (flags & NLM_F_ACK) ? WAIT_ACK : WAIT_REPLY, desc,
			extra[0] ? extra : NULL);
}

/* senddgram HEX: a datagram exactly as given (may be shorter than a header). */
static int cmd_senddgram(const char *hex)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct timespec deadline;
	size_t n = parse_hex(hex, buf, sizeof(buf));
	int ret;

	pthread_mutex_lock(&lock);
	pend = (typeof(pend)){ .active = true, .kind = WAIT_ANY };
	pthread_mutex_unlock(&lock);
	if (!opt.quiet)
		printf("send datagram len=%zu\n", n);
	fflush(stdout);
	if (sendto(sock_fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		die(EXIT_SYSTEM, "sendto: %s", strerror(errno));
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += (time_t)opt.timeout + 1;
	pthread_mutex_lock(&lock);
	while (!pend.done)
		if (pthread_cond_timedwait(&cond, &lock, &deadline) == ETIMEDOUT)
			break;
	ret = pend.done ? pend.error : EXIT_TIMEOUT;
	if (!pend.done)
		printf("timeout: no answer to the datagram\n");
	pend.active = false;
	pthread_mutex_unlock(&lock);
	return ret;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* cycle N ROUTE...: N x (create, delete), each acknowledged. */
static int cmd_cycle(int argc, char **argv)
{
	struct route_args ra;
	unsigned long n, i, errors = 0, ok = 0;
	bool quiet = opt.quiet;
	double t0, dt;
	char *end;
	int err, first = 0;

	if (argc < 2)
		die(EXIT_USAGE, "cycle N DEST/MASK via GW dev OIF [metric M]");
	n = strtoul(argv[0], &end, 0);
	if (*end || !n)
		die(EXIT_USAGE, "bad cycle count '%s'", argv[0]);
	parse_route(argc - 1, argv + 1, &ra);

	opt.quiet = true;
	t0 = now_s();
	for (i = 0; i < n && !stop_flag; i++) {
		err = route_cmd("create", &ra);
		if (!err)
			err = route_cmd("delete", &ra);
		if (err) {
			errors++;
			if (!first)
				first = err;
			if (err == EXIT_TIMEOUT)
				break;
		} else {
			ok++;
		}
	}
	dt = now_s() - t0;
	opt.quiet = quiet;
	printf("cycle: %lu create/delete pairs ok, %lu failed, %.2f s, %.0f requests/s\n",
	       ok, errors, dt, dt > 0 ? 2.0 * (ok + errors) / dt : 0.0);
	return first;
}

static void *sender(void *arg)
{
	struct cmd_ctx *c = arg;
	struct route_args ra;
	int err = 0;

	if (opt.genl) {
		bool q = opt.quiet;

		if (!strcmp(c->name, "cycle"))
			opt.quiet = true;
		err = genl_resolve();
		opt.quiet = q;
		if (err) {
			c->result = err;
			goto out;
		}
	}

	if (!strcmp(c->name, "greet")) {
		if (c->argc != 1)
			die(EXIT_USAGE, "greet TEXT");
		err = cmd_greet(c->argv[0]);
	} else if (!strcmp(c->name, "create") || !strcmp(c->name, "update") ||
		   !strcmp(c->name, "delete") || !strcmp(c->name, "get")) {
		parse_route(c->argc, c->argv, &ra);
		err = route_cmd(c->name, &ra);
	} else if (!strcmp(c->name, "dump")) {
		err = cmd_dump();
	} else if (!strcmp(c->name, "send")) {
		if (c->argc < 1 || c->argc > 2)
			die(EXIT_USAGE, "send TYPE [HEX]");
		err = cmd_send(c->argv[0], c->argc > 1 ? c->argv[1] : NULL);
	} else if (!strcmp(c->name, "senddgram")) {
		if (c->argc != 1)
			die(EXIT_USAGE, "senddgram HEX");
		err = cmd_senddgram(c->argv[0]);
	} else if (!strcmp(c->name, "cycle")) {
		err = cmd_cycle(c->argc, c->argv);
	} else {
		die(EXIT_USAGE, "unknown command '%s'", c->name);
	}
	c->result = err;
out:
	stop_receiver();
	return NULL;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: rtmgrctl [--proto N | --genl] [options] COMMAND ...\n"
"\n"
"commands:\n"
"  greet TEXT                       NLGREET (raw protocol only)\n"
"  create DEST/MASK via GW dev OIF [metric N]\n"
"  update DEST/MASK [via GW] [dev OIF] [metric N]\n"
"  delete DEST/MASK\n"
"  get DEST/MASK\n"
"  dump                             all routes (NLM_F_DUMP)\n"
"  monitor                          print change events until killed\n"
"  cycle N DEST/MASK via GW dev OIF  N x (create + delete), summary only\n"
"  send TYPE [HEX]                  any message type (genl: command) + payload\n"
"  senddgram HEX                    a datagram exactly as given\n"
"\n"
"options:\n"
"  --proto N      raw netlink protocol (default %d)\n"
"  --genl         use the generic netlink family \"%s\"\n"
"  --no-request   greet: set NLM_F_ACK without NLM_F_REQUEST (course style)\n"
"  --flags F      nlmsg_flags for the request (number)\n"
"  --timeout S    seconds to wait for each request (monitor: total run time)\n"
"  --count N      monitor: exit after N events\n"
"  --quiet        print only errors and summaries\n"
"\n"
"exit status: 0 ok, the errno of the first kernel error, %d usage,\n"
"%d system error, %d timeout\n",
		RTMGR_DEFAULT_PROTO, RTMGR_GENL_NAME, EXIT_USAGE, EXIT_SYSTEM, EXIT_TIMEOUT);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void open_socket(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int one = 1, rcvbuf = 1 << 20;

	sock_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, opt.proto);
	if (sock_fd < 0) {
		if (errno == EPROTONOSUPPORT)
			die(EXIT_SYSTEM, "netlink protocol %d: no kernel module serves it (insmod rtmgr.ko / nlgreet.ko proto=%d?)",
			    opt.proto, opt.proto);
		die(EXIT_SYSTEM, "socket(AF_NETLINK, %d): %s", opt.proto, strerror(errno));
	}
	/* extended ACKs from netlink_ack() (genl); the raw modules always send them */
	setsockopt(sock_fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(sock_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(sock_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(EXIT_SYSTEM, "bind: %s", strerror(errno));
	if (getsockname(sock_fd, (struct sockaddr *)&sa, &sl) < 0)
		die(EXIT_SYSTEM, "getsockname: %s", strerror(errno));
	my_portid = sa.nl_pid;
}

static int do_monitor(void)
{
	pthread_t rx;
	uint32_t grp = RTMGR_RAW_GRP_EVENTS;
	struct timespec deadline;
	bool q;
	int err;

	if (opt.genl) {
		/* resolve with a temporary sender-less exchange on this thread */
		pthread_create(&rx, NULL, receiver, NULL);
		q = opt.quiet;
		err = genl_resolve();
		opt.quiet = q;
		stop_receiver();
		pthread_join(rx, NULL);
		rx_quit = false;
		if (err)
			return err;
		if (!genl_events_grp) {
			printf("genl family %s has no \"%s\" group\n", RTMGR_GENL_NAME,
			       RTMGR_GENL_MCGRP_EVENTS);
			return ENOENT;
		}
		grp = genl_events_grp;
	}
	if (setsockopt(sock_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0)
		die(EXIT_SYSTEM, "NETLINK_ADD_MEMBERSHIP %u: %s", grp, strerror(errno));
	printf("monitor: listening proto=%d group=%u portid=%u\n", opt.proto, grp, my_portid);
	fflush(stdout);

	pthread_create(&rx, NULL, receiver, NULL);
	if (opt.timeout_set) {
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += (time_t)opt.timeout;
		pthread_mutex_lock(&lock);
		while (!rx_quit && !stop_flag)
			if (pthread_cond_timedwait(&cond, &lock, &deadline) == ETIMEDOUT)
				break;
		pthread_mutex_unlock(&lock);
		stop_receiver();
	}
	pthread_join(rx, NULL);
	printf("monitor: %ld events\n", events_seen);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "proto",	required_argument,	NULL, 'p' },
		{ "genl",	no_argument,		NULL, 'g' },
		{ "timeout",	required_argument,	NULL, 't' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "no-request",	no_argument,		NULL, 'n' },
		{ "flags",	required_argument,	NULL, 'f' },
		{ "count",	required_argument,	NULL, 'c' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct cmd_ctx ctx = { 0 };
	pthread_t rx, tx;
	char *end;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	null_out = fopen("/dev/null", "w");
	if (!null_out)
		die(EXIT_SYSTEM, "/dev/null: %s", strerror(errno));
	while ((c = getopt_long(argc, argv, "p:gt:qnf:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			opt.proto = strtol(optarg, &end, 0);
			if (*end || opt.proto < 0 || opt.proto >= MAX_LINKS)
				die(EXIT_USAGE, "bad protocol '%s'", optarg);
			break;
		case 'g':
			opt.genl = true;
			break;
		case 't':
			opt.timeout = strtod(optarg, &end);
			if (*end || opt.timeout <= 0)
				die(EXIT_USAGE, "bad timeout '%s'", optarg);
			opt.timeout_set = true;
			break;
		case 'q':
			opt.quiet = true;
			break;
		case 'n':
			opt.no_request = true;
			break;
		case 'f':
			opt.flags = strtol(optarg, &end, 0);
			if (*end || opt.flags < 0 || opt.flags > 0xffff)
				die(EXIT_USAGE, "bad flags '%s'", optarg);
			break;
		case 'c':
			opt.count = strtol(optarg, &end, 0);
			if (*end || opt.count <= 0)
				die(EXIT_USAGE, "bad count '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (opt.genl)
		opt.proto = NETLINK_GENERIC;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ctx.name = argv[optind];
	ctx.argc = argc - optind - 1;
	ctx.argv = argv + optind + 1;

	{
		static const char *const known[] = {
			"greet", "create", "update", "delete", "get", "dump",
			"monitor", "cycle", "send", "senddgram",
		};
		unsigned int i;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (!strcmp(ctx.name, known[i]))
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			fprintf(stderr, "rtmgrctl: unknown command '%s'\n", ctx.name);
			usage(stderr);
			return EXIT_USAGE;
		}
	}

	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die(EXIT_SYSTEM, "pipe2: %s", strerror(errno));
	open_socket();
	if (!opt.quiet)
		printf("open proto=%d portid=%u\n", opt.proto, my_portid);

	if (!strcmp(ctx.name, "monitor")) {
		if (ctx.argc)
			die(EXIT_USAGE, "monitor takes no arguments");
		return do_monitor();
	}

	if (pthread_create(&rx, NULL, receiver, NULL) ||
	    pthread_create(&tx, NULL, sender, &ctx))
		die(EXIT_SYSTEM, "pthread_create failed");
	pthread_join(tx, NULL);
	pthread_join(rx, NULL);
	close(sock_fd);

	/* the command's own result: 0, a kernel errno, or EXIT_TIMEOUT */
	return ctx.result;
}
