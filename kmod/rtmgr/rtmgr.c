// SPDX-License-Identifier: GPL-2.0
/*
 * rtmgr - a routing-table manager kept in the kernel, reachable over two
 * netlink transports that share one table:
 *
 *   - a raw netlink protocol (parameter proto, default 31): message types
 *     RTMGR_MSG_CREATE..GET carrying struct rtmgr_route, multicast group 1
 *     for change events; the same socket answers NLGREET (type 20);
 *   - the generic netlink family "RTMGR" with commands CREATE, UPDATE,
 *     DELETE, GET (do + dump), attributes DEST, MASK, GW, OIF, METRIC and the
 *     multicast group "events".
 *
 *   insmod rtmgr.ko [proto=31] [max_routes=65536] [verbose=0]
 *
 * Wire formats: kmod/include/rtmgr.h and kmod/README.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/inet.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "rtmgr.h"
#include "nlkmod_raw.h"

static int proto = RTMGR_DEFAULT_PROTO;
module_param(proto, int, 0444);
MODULE_PARM_DESC(proto, "raw netlink protocol (unit) number, 0..31 (default 31; 2 = NETLINK_USERSOCK is visible to nlmon)");

static unsigned int max_routes = 65536;
module_param(max_routes, uint, 0644);
MODULE_PARM_DESC(max_routes, "maximum number of routes in the table (ENOSPC beyond)");

static bool verbose;
module_param(verbose, bool, 0644);
MODULE_PARM_DESC(verbose, "log every received raw nlmsghdr and every table change");

/* ---- the table ---------------------------------------------------------- */

struct rtmgr_entry {
	struct list_head list;
	struct rtmgr_route r;	/* pad zeroed, oif NUL-padded */
};

static LIST_HEAD(rt_table);	/* sorted by (dest, mask), host order */
static DEFINE_MUTEX(rt_lock);	/* protects rt_table, rt_count, rt_gen */
static unsigned int rt_count;
static unsigned int rt_gen = 1;	/* bumped on every change (dump consistency) */

/* Which fields an update sets. */
#define RTMGR_SET_GW		BIT(0)
#define RTMGR_SET_OIF		BIT(1)
#define RTMGR_SET_METRIC	BIT(2)
#define RTMGR_SET_ALL		(RTMGR_SET_GW | RTMGR_SET_OIF | RTMGR_SET_METRIC)

/* Where an error lies: which field, for either transport's extack. */
enum rtmgr_field {
	RTMGR_F_NONE,
	RTMGR_F_DEST,
	RTMGR_F_MASK,
	RTMGR_F_GW,
	RTMGR_F_OIF,
	RTMGR_F_METRIC,
	RTMGR_F_PAD,
};

struct rtmgr_err {
	const char *msg;
	enum rtmgr_field field;
};

static int rtmgr_fail(struct rtmgr_err *e, int err, const char *msg,
		      enum rtmgr_field field)
{
	e->msg = msg;
	e->field = field;
	return err;
}

static __be32 rtmgr_netmask(u8 mask)
{
	return mask ? htonl(~0U << (32 - mask)) : 0;
}

static int rtmgr_cmp_key(const struct rtmgr_route *a, __be32 dest, u8 mask)
{
	u32 ad = ntohl(a->dest), bd = ntohl(dest);

	if (ad != bd)
		return ad < bd ? -1 : 1;
	if (a->mask != mask)
		return a->mask < mask ? -1 : 1;
	return 0;
}

/* Caller holds rt_lock. */
static struct rtmgr_entry *rtmgr_find(__be32 dest, u8 mask)
{
	struct rtmgr_entry *e;

	list_for_each_entry(e, &rt_table, list)
		if (!rtmgr_cmp_key(&e->r, dest, mask))
			return e;
	return NULL;
}

/* Key checks common to every operation. */
static int rtmgr_check_key(__be32 dest, u8 mask, struct rtmgr_err *e)
{
	if (mask > 32)
		return rtmgr_fail(e, -EINVAL, KBUILD_MODNAME ": mask: prefix length must be 0..32",
				  RTMGR_F_MASK);
	if (dest & ~rtmgr_netmask(mask))
		return rtmgr_fail(e, -EINVAL, KBUILD_MODNAME ": dest: host bits set beyond the mask",
				  RTMGR_F_DEST);
	return 0;
}

static int rtmgr_check_oif(const char *oif, struct rtmgr_err *e)
{
	size_t n = strnlen(oif, RTMGR_OIF_LEN);

	if (n == RTMGR_OIF_LEN)
		return rtmgr_fail(e, -EINVAL, KBUILD_MODNAME ": oif: not NUL-terminated (at most 31 characters)",
				  RTMGR_F_OIF);
	if (n == 0)
		return rtmgr_fail(e, -EINVAL, KBUILD_MODNAME ": oif: interface name must not be empty",
				  RTMGR_F_OIF);
	return 0;
}

static void rtmgr_log(const char *what, const struct rtmgr_route *r)
{
	if (verbose)
		pr_info("%s %pI4/%u via %pI4 dev %s metric %u\n", what,
			&r->dest, r->mask, &r->gw, r->oif, r->metric);
}

static void rtmgr_notify(u8 cmd, const struct rtmgr_route *r, u32 portid, u32 seq);

/* Operations: transport independent; @portid/@seq tag the notification. */

static int rtmgr_op_create(const struct rtmgr_route *r, u32 portid, u32 seq,
			   struct rtmgr_err *e)
{
	struct rtmgr_entry *ent, *pos;
	int err;

	err = rtmgr_check_key(r->dest, r->mask, e);
	if (!err)
		err = rtmgr_check_oif(r->oif, e);
	if (err)
		return err;

	ent = kzalloc(sizeof(*ent), GFP_KERNEL);
	if (!ent)
		return rtmgr_fail(e, -ENOMEM, KBUILD_MODNAME ": out of memory", RTMGR_F_NONE);
	ent->r.dest = r->dest;
	ent->r.mask = r->mask;
	ent->r.gw = r->gw;
	ent->r.metric = r->metric;
	strscpy(ent->r.oif, r->oif, sizeof(ent->r.oif));

	mutex_lock(&rt_lock);
	if (rt_count >= max_routes) {
		mutex_unlock(&rt_lock);
		kfree(ent);
		return rtmgr_fail(e, -ENOSPC, KBUILD_MODNAME ": route table is full (max_routes)",
				  RTMGR_F_NONE);
	}
	/* Sorted insert; stop at the first entry not smaller than the key. */
	list_for_each_entry(pos, &rt_table, list) {
		int c = rtmgr_cmp_key(&pos->r, r->dest, r->mask);

		if (c == 0) {
			mutex_unlock(&rt_lock);
			kfree(ent);
			return rtmgr_fail(e, -EEXIST, KBUILD_MODNAME ": a route to this dest/mask already exists",
					  RTMGR_F_DEST);
		}
		if (c > 0)
			break;
	}
	list_add_tail(&ent->list, &pos->list);
	rt_count++;
	rt_gen++;
	mutex_unlock(&rt_lock);

	rtmgr_log("created", &ent->r);
	rtmgr_notify(RTMGR_CMD_CREATE, &ent->r, portid, seq);
	return 0;
}

static int rtmgr_op_update(const struct rtmgr_route *r, u32 set, u32 portid,
			   u32 seq, struct rtmgr_err *e)
{
	struct rtmgr_route now;
	struct rtmgr_entry *ent;
	int err;

	err = rtmgr_check_key(r->dest, r->mask, e);
	if (!err && (set & RTMGR_SET_OIF))
		err = rtmgr_check_oif(r->oif, e);
	if (err)
		return err;
	if (!set)
		return rtmgr_fail(e, -EINVAL, KBUILD_MODNAME ": nothing to update (give gw, oif or metric)",
				  RTMGR_F_NONE);

	mutex_lock(&rt_lock);
	ent = rtmgr_find(r->dest, r->mask);
	if (!ent) {
		mutex_unlock(&rt_lock);
		return rtmgr_fail(e, -ENOENT, KBUILD_MODNAME ": no route to this dest/mask",
				  RTMGR_F_DEST);
	}
	if (set & RTMGR_SET_GW)
		ent->r.gw = r->gw;
	if (set & RTMGR_SET_METRIC)
		ent->r.metric = r->metric;
	if (set & RTMGR_SET_OIF) {
		memset(ent->r.oif, 0, sizeof(ent->r.oif));
		strscpy(ent->r.oif, r->oif, sizeof(ent->r.oif));
	}
	rt_gen++;
	now = ent->r;
	mutex_unlock(&rt_lock);

	rtmgr_log("updated", &now);
	rtmgr_notify(RTMGR_CMD_UPDATE, &now, portid, seq);
	return 0;
}

static int rtmgr_op_delete(__be32 dest, u8 mask, u32 portid, u32 seq,
			   struct rtmgr_err *e)
{
	struct rtmgr_route old;
	struct rtmgr_entry *ent;
	int err;

	err = rtmgr_check_key(dest, mask, e);
	if (err)
		return err;

	mutex_lock(&rt_lock);
	ent = rtmgr_find(dest, mask);
	if (!ent) {
		mutex_unlock(&rt_lock);
		return rtmgr_fail(e, -ENOENT, KBUILD_MODNAME ": no route to this dest/mask",
				  RTMGR_F_DEST);
	}
	list_del(&ent->list);
	rt_count--;
	rt_gen++;
	mutex_unlock(&rt_lock);

	old = ent->r;
	kfree(ent);
	rtmgr_log("deleted", &old);
	rtmgr_notify(RTMGR_CMD_DELETE, &old, portid, seq);
	return 0;
}

static int rtmgr_op_get(__be32 dest, u8 mask, struct rtmgr_route *out,
			struct rtmgr_err *e)
{
	struct rtmgr_entry *ent;
	int err;

	err = rtmgr_check_key(dest, mask, e);
	if (err)
		return err;

	mutex_lock(&rt_lock);
	ent = rtmgr_find(dest, mask);
	if (ent)
		*out = ent->r;
	mutex_unlock(&rt_lock);
	if (!ent)
		return rtmgr_fail(e, -ENOENT, KBUILD_MODNAME ": no route to this dest/mask",
				  RTMGR_F_DEST);
	return 0;
}

/*
 * Copy the route at position cb->args[0] (and on) into a dump; @fill puts
 * one route into the skb and returns < 0 when it no longer fits.
 */
static int rtmgr_dump_table(struct sk_buff *skb, struct netlink_callback *cb,
			    int (*fill)(struct sk_buff *skb,
					struct netlink_callback *cb,
					const struct rtmgr_route *r))
{
	long idx = 0, start = cb->args[0];
	struct rtmgr_entry *ent;

	mutex_lock(&rt_lock);
	cb->seq = rt_gen;
	list_for_each_entry(ent, &rt_table, list) {
		if (idx < start) {
			idx++;
			continue;
		}
		if (fill(skb, cb, &ent->r) < 0)
			break;
		idx++;
	}
	mutex_unlock(&rt_lock);
	cb->args[0] = idx;
	return skb->len;
}

/* ---- raw netlink transport ---------------------------------------------- */

static struct sock *rtmgr_raw_sk;

static int rtmgr_field_off(enum rtmgr_field f)
{
	switch (f) {
	case RTMGR_F_DEST:	return NLMSG_HDRLEN + RTMGR_ROUTE_OFF_DEST;
	case RTMGR_F_MASK:	return NLMSG_HDRLEN + RTMGR_ROUTE_OFF_MASK;
	case RTMGR_F_PAD:	return NLMSG_HDRLEN + RTMGR_ROUTE_OFF_PAD;
	case RTMGR_F_GW:	return NLMSG_HDRLEN + RTMGR_ROUTE_OFF_GW;
	case RTMGR_F_METRIC:	return NLMSG_HDRLEN + RTMGR_ROUTE_OFF_METRIC;
	case RTMGR_F_OIF:	return NLMSG_HDRLEN + RTMGR_ROUTE_OFF_OIF;
	default:		return -1;
	}
}

static struct sk_buff *rtmgr_raw_route_msg(u32 portid, u32 seq, int type,
					   int flags, const struct rtmgr_route *r)
{
	struct nlmsghdr *nlh;
	struct sk_buff *skb;

	skb = nlmsg_new(sizeof(*r), GFP_KERNEL);
	if (!skb)
		return NULL;
	nlh = nlmsg_put(skb, portid, seq, type, sizeof(*r), flags);
	if (!nlh) {
		kfree_skb(skb);
		return NULL;
	}
	memcpy(nlmsg_data(nlh), r, sizeof(*r));
	nlmsg_end(skb, nlh);
	return skb;
}

static int rtmgr_raw_fill(struct sk_buff *skb, struct netlink_callback *cb,
			  const struct rtmgr_route *r)
{
	struct nlmsghdr *nlh;

	nlh = nlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			RTMGR_MSG_GET, sizeof(*r), NLM_F_MULTI);
	if (!nlh)
		return -EMSGSIZE;
	nl_dump_check_consistent(cb, nlh);
	memcpy(nlmsg_data(nlh), r, sizeof(*r));
	nlmsg_end(skb, nlh);
	return 0;
}

static int rtmgr_raw_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return rtmgr_dump_table(skb, cb, rtmgr_raw_fill);
}

static int rtmgr_raw_handle(struct sk_buff *skb, struct nlmsghdr *nlh,
			    struct nlraw_ext *ext)
{
	u32 portid = NETLINK_CB(skb).portid;
	struct rtmgr_err e = { NULL, RTMGR_F_NONE };
	struct rtmgr_route r, out;
	int type = nlh->nlmsg_type;
	int len = nlmsg_len(nlh);
	int err;

	if (type == RTMGR_MSG_GREET)
		return nlraw_greet(rtmgr_raw_sk, skb, nlh, ext);

	if (type < RTMGR_MSG_CREATE || type > RTMGR_MSG_GET) {
		snprintf(ext->buf, sizeof(ext->buf),
			 KBUILD_MODNAME ": unknown message type %d (expected 20..24)", type);
		nlraw_set_err(ext, ext->buf, offsetof(struct nlmsghdr, nlmsg_type));
		return -EINVAL;
	}

	if (type == RTMGR_MSG_GET &&
	    (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP) {
		struct netlink_dump_control c = {
			.dump = rtmgr_raw_dumpit,
		};

		err = netlink_dump_start(rtmgr_raw_sk, skb, nlh, &c);
		if (err == -EINTR)
			return NLRAW_DUMP_STARTED;
		nlraw_set_err(ext, KBUILD_MODNAME ": cannot start the dump", -1);
		return err;
	}

	if (type != RTMGR_MSG_GET && !netlink_capable(skb, CAP_NET_ADMIN)) {
		nlraw_set_err(ext, KBUILD_MODNAME ": changing routes needs CAP_NET_ADMIN", -1);
		return -EPERM;
	}

	if (len != sizeof(r)) {
		snprintf(ext->buf, sizeof(ext->buf),
			 KBUILD_MODNAME ": payload is %d bytes, struct rtmgr_route is %zu",
			 len, sizeof(r));
		nlraw_set_err(ext, ext->buf, offsetof(struct nlmsghdr, nlmsg_len));
		return -EINVAL;
	}
	memcpy(&r, nlmsg_data(nlh), sizeof(r));

	if ((type == RTMGR_MSG_CREATE || type == RTMGR_MSG_UPDATE) &&
	    (r.pad[0] || r.pad[1] || r.pad[2])) {
		e.msg = KBUILD_MODNAME ": pad: reserved bytes must be zero";
		e.field = RTMGR_F_PAD;
		err = -EINVAL;
		goto out;
	}

	switch (type) {
	case RTMGR_MSG_CREATE:
		err = rtmgr_op_create(&r, portid, nlh->nlmsg_seq, &e);
		break;
	case RTMGR_MSG_UPDATE:
		err = rtmgr_op_update(&r, RTMGR_SET_ALL, portid, nlh->nlmsg_seq, &e);
		break;
	case RTMGR_MSG_DELETE:
		err = rtmgr_op_delete(r.dest, r.mask, portid, nlh->nlmsg_seq, &e);
		break;
	default: /* RTMGR_MSG_GET */
		err = rtmgr_op_get(r.dest, r.mask, &out, &e);
		if (!err) {
			struct sk_buff *rep;

			rep = rtmgr_raw_route_msg(portid, nlh->nlmsg_seq,
						  RTMGR_MSG_GET, 0, &out);
			if (!rep)
				return -ENOMEM;
			nlraw_unicast(rtmgr_raw_sk, rep, portid);
		}
		break;
	}
out:
	if (err)
		nlraw_set_err(ext, e.msg, rtmgr_field_off(e.field));
	return err;
}

static void rtmgr_raw_rcv(struct sk_buff *skb)
{
	nlraw_rcv(rtmgr_raw_sk, skb, rtmgr_raw_handle, verbose);
}

/* ---- generic netlink transport ------------------------------------------ */

static const struct nla_policy rtmgr_genl_policy[RTMGR_A_MAX + 1] = {
	[RTMGR_A_DEST]		= { .type = NLA_BE32 },
	[RTMGR_A_MASK]		= NLA_POLICY_MAX(NLA_U8, 32),
	[RTMGR_A_GW]		= { .type = NLA_BE32 },
	[RTMGR_A_OIF]		= { .type = NLA_NUL_STRING, .len = RTMGR_OIF_LEN - 1 },
	[RTMGR_A_METRIC]	= { .type = NLA_U32 },
};

static const struct genl_multicast_group rtmgr_genl_mcgrps[] = {
	{ .name = RTMGR_GENL_MCGRP_EVENTS },
};

static struct genl_family rtmgr_genl_family;

static size_t rtmgr_genl_route_size(void)
{
	return nla_total_size(sizeof(__be32)) +		/* DEST */
	       nla_total_size(sizeof(u8)) +		/* MASK */
	       nla_total_size(sizeof(__be32)) +		/* GW */
	       nla_total_size(RTMGR_OIF_LEN) +		/* OIF */
	       nla_total_size(sizeof(u32));		/* METRIC */
}

static int rtmgr_genl_put_route(struct sk_buff *skb, const struct rtmgr_route *r)
{
	if (nla_put_in_addr(skb, RTMGR_A_DEST, r->dest) ||
	    nla_put_u8(skb, RTMGR_A_MASK, r->mask) ||
	    nla_put_in_addr(skb, RTMGR_A_GW, r->gw) ||
	    nla_put_string(skb, RTMGR_A_OIF, r->oif) ||
	    nla_put_u32(skb, RTMGR_A_METRIC, r->metric))
		return -EMSGSIZE;
	return 0;
}

static const struct nlattr *rtmgr_genl_field_attr(struct genl_info *info,
						  enum rtmgr_field f)
{
	switch (f) {
	case RTMGR_F_DEST:	return info->attrs[RTMGR_A_DEST];
	case RTMGR_F_MASK:	return info->attrs[RTMGR_A_MASK];
	case RTMGR_F_GW:	return info->attrs[RTMGR_A_GW];
	case RTMGR_F_OIF:	return info->attrs[RTMGR_A_OIF];
	case RTMGR_F_METRIC:	return info->attrs[RTMGR_A_METRIC];
	default:		return NULL;
	}
}

/* Report @e through the genl extack: message and the attribute at fault. */
static int rtmgr_genl_err(struct genl_info *info, int err, const struct rtmgr_err *e)
{
	const struct nlattr *attr = rtmgr_genl_field_attr(info, e->field);

	if (info->extack) {
		/* e->msg is a string literal: static storage, as extack needs. */
		info->extack->_msg = e->msg;
		if (attr)
			NL_SET_BAD_ATTR(info->extack, attr);
	}
	return err;
}

/* DEST and MASK are the key of every do-command. */
static int rtmgr_genl_key(struct genl_info *info, struct rtmgr_route *r)
{
	if (GENL_REQ_ATTR_CHECK(info, RTMGR_A_DEST)) {
		GENL_SET_ERR_MSG(info, KBUILD_MODNAME ": missing attribute DEST");
		return -EINVAL;
	}
	if (GENL_REQ_ATTR_CHECK(info, RTMGR_A_MASK)) {
		GENL_SET_ERR_MSG(info, KBUILD_MODNAME ": missing attribute MASK");
		return -EINVAL;
	}
	memset(r, 0, sizeof(*r));
	r->dest = nla_get_in_addr(info->attrs[RTMGR_A_DEST]);
	r->mask = nla_get_u8(info->attrs[RTMGR_A_MASK]);
	return 0;
}

/* Fill gw/oif/metric from the attributes present; returns RTMGR_SET_* bits. */
static u32 rtmgr_genl_fields(struct genl_info *info, struct rtmgr_route *r)
{
	u32 set = 0;

	if (info->attrs[RTMGR_A_GW]) {
		r->gw = nla_get_in_addr(info->attrs[RTMGR_A_GW]);
		set |= RTMGR_SET_GW;
	}
	if (info->attrs[RTMGR_A_OIF]) {
		/* The policy guarantees NUL termination within 32 bytes. */
		nla_strscpy(r->oif, info->attrs[RTMGR_A_OIF], sizeof(r->oif));
		set |= RTMGR_SET_OIF;
	}
	if (info->attrs[RTMGR_A_METRIC]) {
		r->metric = nla_get_u32(info->attrs[RTMGR_A_METRIC]);
		set |= RTMGR_SET_METRIC;
	}
	return set;
}

static int rtmgr_genl_create(struct sk_buff *skb, struct genl_info *info)
{
	struct rtmgr_err e = { NULL, RTMGR_F_NONE };
	struct rtmgr_route r;
	int err;

	err = rtmgr_genl_key(info, &r);
	if (err)
		return err;
	if (GENL_REQ_ATTR_CHECK(info, RTMGR_A_OIF)) {
		GENL_SET_ERR_MSG(info, KBUILD_MODNAME ": missing attribute OIF");
		return -EINVAL;
	}
	rtmgr_genl_fields(info, &r);
	err = rtmgr_op_create(&r, info->snd_portid, info->snd_seq, &e);
	return err ? rtmgr_genl_err(info, err, &e) : 0;
}

static int rtmgr_genl_update(struct sk_buff *skb, struct genl_info *info)
{
	struct rtmgr_err e = { NULL, RTMGR_F_NONE };
	struct rtmgr_route r;
	int err;
	u32 set;

	err = rtmgr_genl_key(info, &r);
	if (err)
		return err;
	set = rtmgr_genl_fields(info, &r);
	err = rtmgr_op_update(&r, set, info->snd_portid, info->snd_seq, &e);
	return err ? rtmgr_genl_err(info, err, &e) : 0;
}

static int rtmgr_genl_delete(struct sk_buff *skb, struct genl_info *info)
{
	struct rtmgr_err e = { NULL, RTMGR_F_NONE };
	struct rtmgr_route r;
	int err;

	err = rtmgr_genl_key(info, &r);
	if (err)
		return err;
	err = rtmgr_op_delete(r.dest, r.mask, info->snd_portid, info->snd_seq, &e);
	return err ? rtmgr_genl_err(info, err, &e) : 0;
}

static int rtmgr_genl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct rtmgr_err e = { NULL, RTMGR_F_NONE };
	struct rtmgr_route r, out;
	struct sk_buff *msg;
	void *hdr;
	int err;

	err = rtmgr_genl_key(info, &r);
	if (err)
		return err;
	err = rtmgr_op_get(r.dest, r.mask, &out, &e);
	if (err)
		return rtmgr_genl_err(info, err, &e);

	msg = genlmsg_new(rtmgr_genl_route_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &rtmgr_genl_family, 0, RTMGR_CMD_GET);
	if (!hdr || rtmgr_genl_put_route(msg, &out)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int rtmgr_genl_fill(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct rtmgr_route *r)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &rtmgr_genl_family, NLM_F_MULTI, RTMGR_CMD_GET);
	if (!hdr)
		return -EMSGSIZE;
	nl_dump_check_consistent(cb, genlmsg_nlhdr(hdr));
	if (rtmgr_genl_put_route(skb, r)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int rtmgr_genl_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	return rtmgr_dump_table(skb, cb, rtmgr_genl_fill);
}

static const struct genl_ops rtmgr_genl_ops[] = {
	{
		.cmd	= RTMGR_CMD_CREATE,
		.doit	= rtmgr_genl_create,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= RTMGR_CMD_UPDATE,
		.doit	= rtmgr_genl_update,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= RTMGR_CMD_DELETE,
		.doit	= rtmgr_genl_delete,
		.flags	= GENL_ADMIN_PERM,
	},
	{
		.cmd	= RTMGR_CMD_GET,
		.doit	= rtmgr_genl_get,
		.dumpit	= rtmgr_genl_dumpit,
	},
};

static struct genl_family rtmgr_genl_family = {
	.name		= RTMGR_GENL_NAME,
	.version	= RTMGR_GENL_VERSION,
	.maxattr	= RTMGR_A_MAX,
	.policy		= rtmgr_genl_policy,
	.module		= THIS_MODULE,
	.ops		= rtmgr_genl_ops,
	.n_ops		= ARRAY_SIZE(rtmgr_genl_ops),
	/* Every command validates strictly and rejects reserved bits. */
	.resv_start_op	= RTMGR_CMD_GET + 1,
	.mcgrps		= rtmgr_genl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(rtmgr_genl_mcgrps),
};

/* ---- notifications ------------------------------------------------------ */

static const u8 rtmgr_cmd_to_type[] = {
	[RTMGR_CMD_CREATE] = RTMGR_MSG_CREATE,
	[RTMGR_CMD_UPDATE] = RTMGR_MSG_UPDATE,
	[RTMGR_CMD_DELETE] = RTMGR_MSG_DELETE,
};

/*
 * Announce a change on both transports: the raw protocol's group 1 and the
 * genl "events" group.  nlmsg_pid/seq name the request that caused it.
 */
static void rtmgr_notify(u8 cmd, const struct rtmgr_route *r, u32 portid, u32 seq)
{
	struct sk_buff *skb;
	void *hdr;

	if (rtmgr_raw_sk && netlink_has_listeners(rtmgr_raw_sk, RTMGR_RAW_GRP_EVENTS)) {
		skb = rtmgr_raw_route_msg(portid, seq, rtmgr_cmd_to_type[cmd], 0, r);
		if (skb)
			/*
			 * nlmsg_multicast() also stamps dst_group, so listeners
			 * see the group in sockaddr_nl.nl_groups.  It consumes
			 * skb; -ESRCH (no listener left) is fine.
			 */
			nlmsg_multicast(rtmgr_raw_sk, skb, 0,
					RTMGR_RAW_GRP_EVENTS, GFP_KERNEL);
	}

	if (!genl_has_listeners(&rtmgr_genl_family, &init_net, 0))
		return;
	skb = genlmsg_new(rtmgr_genl_route_size(), GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, portid, seq, &rtmgr_genl_family, 0, cmd);
	if (!hdr || rtmgr_genl_put_route(skb, r)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&rtmgr_genl_family, skb, 0, 0, GFP_KERNEL);
}

/* ---- module ------------------------------------------------------------- */

static void rtmgr_flush(void)
{
	struct rtmgr_entry *ent, *tmp;

	mutex_lock(&rt_lock);
	list_for_each_entry_safe(ent, tmp, &rt_table, list) {
		list_del(&ent->list);
		kfree(ent);
	}
	rt_count = 0;
	mutex_unlock(&rt_lock);
}

static int __init rtmgr_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.input	= rtmgr_raw_rcv,
		.groups	= RTMGR_RAW_GRP_EVENTS,
		.flags	= NL_CFG_F_NONROOT_RECV,
	};
	int err;

	if (proto < 0 || proto >= MAX_LINKS) {
		pr_err("proto=%d out of range 0..%d\n", proto, MAX_LINKS - 1);
		return -EINVAL;
	}

	err = genl_register_family(&rtmgr_genl_family);
	if (err) {
		pr_err("cannot register genl family %s: %d\n", RTMGR_GENL_NAME, err);
		return err;
	}

	rtmgr_raw_sk = netlink_kernel_create(&init_net, proto, &cfg);
	if (!rtmgr_raw_sk) {
		pr_err("cannot create a kernel socket on netlink protocol %d (in use?)\n",
		       proto);
		genl_unregister_family(&rtmgr_genl_family);
		return -EADDRINUSE;
	}

	pr_info("serving netlink protocol %d and genl family %s (id %u)\n",
		proto, RTMGR_GENL_NAME, rtmgr_genl_family.id);
	return 0;
}

static void __exit rtmgr_exit(void)
{
	/*
	 * Stop both transports before freeing the table.  Unregistering the
	 * family waits for running genl handlers (they run under genl_lock),
	 * so none can notify through the raw socket once it is released.
	 */
	genl_unregister_family(&rtmgr_genl_family);
	netlink_kernel_release(rtmgr_raw_sk);
	rtmgr_raw_sk = NULL;
	rtmgr_flush();
	pr_info("unloaded\n");
}

module_init(rtmgr_init);
module_exit(rtmgr_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("nlscope developers");
MODULE_DESCRIPTION("Routing-table manager over raw and generic netlink (nlscope lab module)");
