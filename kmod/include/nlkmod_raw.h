/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nlkmod_raw.h - kernel-only helpers for a raw (non-generic) netlink
 * protocol, shared by nlgreet.ko and rtmgr.ko.
 *
 * Why not netlink_rcv_skb()?  It silently skips messages without
 * NLM_F_REQUEST, and course-style clients send NLM_F_ACK alone.  So we walk
 * the datagram ourselves with nlmsg_ok()/nlmsg_next().
 *
 * Why not netlink_ack()?  It adds the extended-ACK TLVs only when the
 * sender set the NETLINK_EXT_ACK socket option.  Our raw protocol always
 * explains its errors: every NLMSG_ERROR with a non-zero error carries
 * NLMSGERR_ATTR_MSG (and NLMSGERR_ATTR_OFFS when one field is at fault) and
 * has NLM_F_ACK_TLVS set.  Layout mirrors the kernel's own ACKs:
 *
 *   nlmsghdr  type NLMSG_ERROR, seq = request's seq, pid = requester portid,
 *             flags NLM_F_CAPPED when only the request header is echoed
 *             (always for ACKs), | NLM_F_ACK_TLVS when TLVs follow
 *   s32       error (0 = ACK, else -errno)
 *   ...       the request: its header only (capped) or the whole message
 *             (errors), padded to 4 bytes
 *   TLVs      NLMSGERR_ATTR_MSG (string), NLMSGERR_ATTR_OFFS (u32, offset of
 *             the faulty byte counted from the start of the request header)
 */
#ifndef NLSCOPE_KMOD_NLKMOD_RAW_H
#define NLSCOPE_KMOD_NLKMOD_RAW_H

#include <linux/kernel.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/string.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "nlgreet.h"

/* Error details a handler hands back with a negative return value. */
struct nlraw_ext {
	const char *msg;	/* NLMSGERR_ATTR_MSG text, or NULL */
	int offs;		/* NLMSGERR_ATTR_OFFS, or -1 */
	char buf[96];		/* storage for formatted messages */
};

/* Handler return value meaning "a dump was started: send no ACK". */
#define NLRAW_DUMP_STARTED	(-EINTR)

static inline void nlraw_set_err(struct nlraw_ext *ext, const char *msg, int offs)
{
	ext->msg = msg;
	ext->offs = offs;
}

/*
 * Send an NLMSG_ERROR (error != 0) or ACK (error == 0) to @portid.
 * @req points at @echo_len bytes of the request to echo back (at least a
 * header's worth).  Returns netlink_unicast()'s result; the skb is always
 * consumed, never freed here after a failed unicast.
 */
static inline int nlraw_send_error(struct sock *nlsk, u32 portid,
				   const struct nlmsghdr *req, u32 echo_len,
				   bool capped, int error, const char *msg,
				   int offs)
{
	size_t size, msglen = 0;
	struct nlmsghdr *rep;
	struct sk_buff *skb;
	u16 flags = 0;
	bool tlvs;

	if (error == 0) {	/* a plain ACK carries no TLVs */
		msg = NULL;
		offs = -1;
	}
	tlvs = msg || offs >= 0;
	if (msg)
		msglen = strlen(msg) + 1;

	size = NLMSG_ALIGN(sizeof(int)) + NLMSG_ALIGN(echo_len);
	if (msg)
		size += nla_total_size(msglen);
	if (offs >= 0)
		size += nla_total_size(sizeof(u32));

	if (capped)
		flags |= NLM_F_CAPPED;
	if (tlvs)
		flags |= NLM_F_ACK_TLVS;

	skb = nlmsg_new(size, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;

	rep = __nlmsg_put(skb, portid, req->nlmsg_seq, NLMSG_ERROR,
			  sizeof(int), flags);
	*(int *)nlmsg_data(rep) = error;
	/* The echo goes through skb_put_data(): no field-spanning memcpy. */
	skb_put_data(skb, req, echo_len);
	if (NLMSG_ALIGN(echo_len) != echo_len)
		skb_put_zero(skb, NLMSG_ALIGN(echo_len) - echo_len);
	if (msg && nla_put_string(skb, NLMSGERR_ATTR_MSG, msg))
		goto too_small;
	if (offs >= 0 && nla_put_u32(skb, NLMSGERR_ATTR_OFFS, offs))
		goto too_small;
	nlmsg_end(skb, rep);

	return netlink_unicast(nlsk, skb, portid, MSG_DONTWAIT);

too_small:	/* cannot happen: size was computed above */
	kfree_skb(skb);
	return -EMSGSIZE;
}

/* Unicast @skb to @portid; logs a failure.  @skb is consumed either way. */
static inline int nlraw_unicast(struct sock *nlsk, struct sk_buff *skb,
				u32 portid)
{
	int err = netlink_unicast(nlsk, skb, portid, MSG_DONTWAIT);

	/* netlink_unicast() freed the skb on failure too: do not touch it. */
	if (err < 0)
		pr_warn_ratelimited("reply to portid %u not delivered: %d\n",
				    portid, err);
	return err < 0 ? err : 0;
}

/*
 * NLGREET (type 20): payload is a NUL-terminated string; reply with
 * "Hello <portid>, kernel got: <text>" to the sender, same type and seq.
 */
static inline int nlraw_greet(struct sock *nlsk, struct sk_buff *in_skb,
			      const struct nlmsghdr *nlh, struct nlraw_ext *ext)
{
	u32 portid = NETLINK_CB(in_skb).portid;
	const char *text = nlmsg_data(nlh);
	int len = nlmsg_len(nlh);
	struct nlmsghdr *rep;
	struct sk_buff *skb;
	size_t tlen, rlen;

	if (len <= 0) {
		nlraw_set_err(ext, KBUILD_MODNAME ": greeting has no payload (expected a NUL-terminated string)",
			      NLMSG_HDRLEN);
		return -EINVAL;
	}
	tlen = strnlen(text, len);
	if (tlen == len) {
		nlraw_set_err(ext, KBUILD_MODNAME ": greeting string is not NUL-terminated",
			      NLMSG_HDRLEN + len - 1);
		return -EINVAL;
	}

	pr_info("greeting from portid %u: \"%*pE\"%s\n", portid,
		(int)min_t(size_t, tlen, 64), text, tlen > 64 ? "..." : "");

	rlen = snprintf(NULL, 0, NLGREET_REPLY_FMT, portid, "") + tlen + 1;
	skb = nlmsg_new(rlen, GFP_KERNEL);
	if (!skb) {
		nlraw_set_err(ext, KBUILD_MODNAME ": out of memory for the reply", -1);
		return -ENOMEM;
	}
	rep = nlmsg_put(skb, portid, nlh->nlmsg_seq, NLGREET_MSG_GREET, rlen, 0);
	if (!rep) {	/* cannot happen: the skb was sized for it */
		kfree_skb(skb);
		return -EMSGSIZE;
	}
	snprintf(nlmsg_data(rep), rlen, NLGREET_REPLY_FMT, portid, text);
	nlmsg_end(skb, rep);

	nlraw_unicast(nlsk, skb, portid);
	return 0;
}

typedef int (*nlraw_handler_t)(struct sk_buff *skb, struct nlmsghdr *nlh,
			       struct nlraw_ext *ext);

/*
 * Walk every nlmsghdr of one datagram, call @handler for each message whose
 * type is >= NLMSG_MIN_TYPE, and answer: NLMSG_ERROR on failure, an ACK on
 * success when NLM_F_ACK is set (none after a started dump).  Malformed
 * framing (a datagram shorter than a header, an nlmsg_len out of range) is
 * answered with -EINVAL and ends the walk.
 */
static inline void nlraw_rcv(struct sock *nlsk, struct sk_buff *skb,
			     nlraw_handler_t handler, bool log)
{
	u32 portid = NETLINK_CB(skb).portid;
	struct nlmsghdr *nlh = nlmsg_hdr(skb);
	int rem = skb->len;
	struct nlraw_ext ext;
	int err;

	if (rem < NLMSG_HDRLEN) {
		struct nlmsghdr h = {};

		memcpy(&h, skb->data, rem);
		pr_info("short datagram (%d bytes) from portid %u\n", rem, portid);
		nlraw_send_error(nlsk, portid, &h, NLMSG_HDRLEN, true, -EINVAL,
				 KBUILD_MODNAME ": datagram shorter than struct nlmsghdr (16 bytes)",
				 -1);
		return;
	}

	while (rem >= NLMSG_HDRLEN) {
		if (log)
			pr_info("nlmsghdr len=%u type=%u flags=0x%04x seq=%u portid=%u\n",
				nlh->nlmsg_len, nlh->nlmsg_type,
				nlh->nlmsg_flags, nlh->nlmsg_seq,
				nlh->nlmsg_pid);

		if (nlh->nlmsg_len < NLMSG_HDRLEN || nlh->nlmsg_len > rem) {
			snprintf(ext.buf, sizeof(ext.buf),
				 KBUILD_MODNAME ": nlmsg_len %u out of range (datagram has %d bytes left)",
				 nlh->nlmsg_len, rem);
			nlraw_send_error(nlsk, portid, nlh, NLMSG_HDRLEN, true,
					 -EINVAL, ext.buf, 0);
			return;
		}

		ext.msg = NULL;
		ext.offs = -1;
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
			err = 0;	/* control messages: nothing to do */
		else
			err = handler(skb, nlh, &ext);

		if (err == NLRAW_DUMP_STARTED)
			;	/* the dump ends with NLMSG_DONE, no ACK */
		else if (err)
			nlraw_send_error(nlsk, portid, nlh, nlh->nlmsg_len,
					 false, err, ext.msg, ext.offs);
		else if (nlh->nlmsg_flags & NLM_F_ACK)
			nlraw_send_error(nlsk, portid, nlh, NLMSG_HDRLEN, true,
					 0, NULL, -1);

		nlh = nlmsg_next(nlh, &rem);
	}
	if (rem > 0)
		pr_info("ignored %d trailing bytes from portid %u\n", rem, portid);
}

#endif /* NLSCOPE_KMOD_NLKMOD_RAW_H */
