/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * rtmgr.h - wire format of the rtmgr routing-table manager.
 *
 * Shared by rtmgr.ko and the userspace client rtmgrctl (and documented, with
 * byte offsets, in kmod/README.md for the Python dissectors).
 *
 * Two transports carry the same four operations on the same table:
 *
 *  1. A raw netlink protocol (module parameter "proto", default 31).  Message
 *     types RTMGR_MSG_*; every request and reply payload is one
 *     struct rtmgr_route.  Multicast group RTMGR_RAW_GRP_EVENTS (1) carries
 *     change notifications (type = the change's CREATE/UPDATE/DELETE).
 *     The same socket also answers NLGREET (type 20, see nlgreet.h).
 *
 *  2. A generic netlink family "RTMGR" (version 1), commands RTMGR_CMD_*,
 *     attributes RTMGR_A_*, multicast group "events".
 */
#ifndef NLSCOPE_KMOD_RTMGR_H
#define NLSCOPE_KMOD_RTMGR_H

#include <linux/types.h>
#include "nlgreet.h"

/* ---- raw protocol ------------------------------------------------------ */

#define RTMGR_DEFAULT_PROTO	31

enum rtmgr_msg_type {
	RTMGR_MSG_GREET		= NLGREET_MSG_GREET,	/* 20 */
	RTMGR_MSG_CREATE	= 21,	/* add a route; EEXIST if (dest, mask) exists */
	RTMGR_MSG_UPDATE	= 22,	/* replace gw/oif/metric; ENOENT if missing */
	RTMGR_MSG_DELETE	= 23,	/* remove (dest, mask); ENOENT if missing */
	RTMGR_MSG_GET		= 24,	/* one route, or all with NLM_F_DUMP */
};

/* Multicast group (1-based, as in sockaddr_nl.nl_groups bit 0) on the raw protocol. */
#define RTMGR_RAW_GRP_EVENTS	1

/* Interface name field size, NUL included (so at most 31 characters). */
#define RTMGR_OIF_LEN		32

/*
 * The payload of every RTMGR_MSG_* request and reply: 48 bytes, no implicit
 * padding.  Addresses are in network byte order, metric in host byte order.
 *
 *   off size field
 *    0   4   dest     IPv4 destination prefix (host bits must be zero)
 *    4   1   mask     prefix length, 0..32
 *    5   3   pad      must be zero on input, zero on output
 *    8   4   gw       IPv4 gateway (0.0.0.0 = directly connected)
 *   12   4   metric   route metric (host byte order)
 *   16  32   oif      output interface name, NUL-terminated, NUL-padded
 *
 * DELETE and GET use only dest and mask (the key); the other fields are
 * ignored.  A GET request with NLM_F_DUMP may carry no payload at all.
 */
struct rtmgr_route {
	__be32	dest;
	__u8	mask;
	__u8	pad[3];
	__be32	gw;
	__u32	metric;
	char	oif[RTMGR_OIF_LEN];
};

_Static_assert(sizeof(struct rtmgr_route) == 48, "rtmgr_route must be 48 bytes");

#define RTMGR_ROUTE_OFF_DEST	0
#define RTMGR_ROUTE_OFF_MASK	4
#define RTMGR_ROUTE_OFF_PAD	5
#define RTMGR_ROUTE_OFF_GW	8
#define RTMGR_ROUTE_OFF_METRIC	12
#define RTMGR_ROUTE_OFF_OIF	16

/* ---- generic netlink --------------------------------------------------- */

#define RTMGR_GENL_NAME		"RTMGR"
#define RTMGR_GENL_VERSION	1
#define RTMGR_GENL_MCGRP_EVENTS	"events"

enum rtmgr_genl_cmd {
	RTMGR_CMD_UNSPEC,
	RTMGR_CMD_CREATE,	/* 1: do; notification on "events" */
	RTMGR_CMD_UPDATE,	/* 2: do; notification on "events" */
	RTMGR_CMD_DELETE,	/* 3: do; notification on "events" */
	RTMGR_CMD_GET,		/* 4: do (one route) and dump (all routes) */

	__RTMGR_CMD_MAX,
	RTMGR_CMD_MAX = __RTMGR_CMD_MAX - 1
};

enum rtmgr_genl_attr {
	RTMGR_A_UNSPEC,
	RTMGR_A_DEST,		/* 1: be32, IPv4 prefix */
	RTMGR_A_MASK,		/* 2: u8, 0..32 */
	RTMGR_A_GW,		/* 3: be32, IPv4 gateway */
	RTMGR_A_OIF,		/* 4: NUL-terminated string, at most 31 chars */
	RTMGR_A_METRIC,		/* 5: u32 */

	__RTMGR_A_MAX,
	RTMGR_A_MAX = __RTMGR_A_MAX - 1
};

#endif /* NLSCOPE_KMOD_RTMGR_H */
