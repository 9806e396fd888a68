/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * nlgreet.h - wire format of the nlgreet "greetings" protocol.
 *
 * Shared by the kernel modules (nlgreet.ko, rtmgr.ko) and the userspace
 * client (rtmgrctl).  Everything here is plain UAPI-style C: it compiles in
 * the kernel and in userspace alike.
 *
 * A greeting is one netlink message on a raw netlink protocol (default 31):
 *
 *   nlmsghdr   type = NLGREET_MSG_GREET (20), flags: anything (NLM_F_REQUEST
 *              is NOT required), seq: chosen by the client
 *   payload    a NUL-terminated string (the NUL must be inside nlmsg_len)
 *
 * The kernel answers with a message of the same type (20), the same seq,
 * nlmsg_pid = the sender's port id, flags 0, whose payload is the
 * NUL-terminated text "Hello <portid>, kernel got: <text>".  When the
 * request had NLM_F_ACK set an NLMSG_ERROR with error 0 (an ACK) follows.
 */
#ifndef NLSCOPE_KMOD_NLGREET_H
#define NLSCOPE_KMOD_NLGREET_H

/* Default raw netlink protocol (unit) number: the course's NETLINK_TEST_PROTOCOL. */
#define NLGREET_DEFAULT_PROTO	31

/* Message type of a greeting (request and reply). */
#define NLGREET_MSG_GREET	20

/* Reply text prefix; the full reply is "Hello %u, kernel got: %s". */
#define NLGREET_REPLY_FMT	"Hello %u, kernel got: %s"

#endif /* NLSCOPE_KMOD_NLGREET_H */
