// SPDX-License-Identifier: GPL-2.0
/*
 * nlgreet - a kernel netlink "greetings" service on a raw netlink protocol.
 *
 *   insmod nlgreet.ko [proto=31]
 *
 * Every received nlmsghdr is logged with pr_info.  NLGREET (type 20) carries
 * a NUL-terminated string; the reply is type 20, same seq, to the sender:
 * "Hello <portid>, kernel got: <text>", followed by an ACK when NLM_F_ACK is
 * set.  NLM_F_REQUEST is not required.  Anything malformed gets NLMSG_ERROR
 * -EINVAL with an extended-ACK message.  See kmod/README.md.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "nlgreet.h"
#include "nlkmod_raw.h"

static int proto = NLGREET_DEFAULT_PROTO;
module_param(proto, int, 0444);
MODULE_PARM_DESC(proto, "netlink protocol (unit) number to serve, 0..31 (default 31; 2 = NETLINK_USERSOCK is visible to nlmon)");

static struct sock *nlgreet_sk;

static int nlgreet_handle(struct sk_buff *skb, struct nlmsghdr *nlh,
			  struct nlraw_ext *ext)
{
	switch (nlh->nlmsg_type) {
	case NLGREET_MSG_GREET:
		return nlraw_greet(nlgreet_sk, skb, nlh, ext);
	default:
		snprintf(ext->buf, sizeof(ext->buf),
			 KBUILD_MODNAME ": unknown message type %u (only %u = NLGREET)",
			 nlh->nlmsg_type, NLGREET_MSG_GREET);
		nlraw_set_err(ext, ext->buf, offsetof(struct nlmsghdr, nlmsg_type));
		return -EINVAL;
	}
}

static void nlgreet_rcv(struct sk_buff *skb)
{
	nlraw_rcv(nlgreet_sk, skb, nlgreet_handle, true);
}

static int __init nlgreet_init(void)
{
	struct netlink_kernel_cfg cfg = {
		.input = nlgreet_rcv,
	};

	if (proto < 0 || proto >= MAX_LINKS) {
		pr_err("proto=%d out of range 0..%d\n", proto, MAX_LINKS - 1);
		return -EINVAL;
	}
	nlgreet_sk = netlink_kernel_create(&init_net, proto, &cfg);
	if (!nlgreet_sk) {
		pr_err("cannot create a kernel socket on netlink protocol %d (in use?)\n",
		       proto);
		return -EADDRINUSE;
	}
	pr_info("serving netlink protocol %d\n", proto);
	return 0;
}

static void __exit nlgreet_exit(void)
{
	netlink_kernel_release(nlgreet_sk);
	pr_info("released netlink protocol %d\n", proto);
}

module_init(nlgreet_init);
module_exit(nlgreet_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("nlscope developers");
MODULE_DESCRIPTION("Netlink greetings service (nlscope lab module)");
