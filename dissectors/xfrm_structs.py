"""xfrm layouts (linux/xfrm.h), x86-64 alignment (checked with offsetof): the fixed
headers of each message, the structs carried in XFRMA_* attributes, and the
attribute table. xfrm_address_t is 16 bytes; which of them are IPv4 is decided
by a family field, in xfrm.py.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.nla import Attr, AttrSet, FixedHeader

from .nf_common import IPPROTO

AF = {0: "AF_UNSPEC", 2: "AF_INET", 10: "AF_INET6"}
XFRM_PROTO = {50: "IPPROTO_ESP", 51: "IPPROTO_AH", 108: "IPPROTO_COMP", 43: "IPPROTO_ROUTING",
              60: "IPPROTO_DSTOPTS", 255: "IPSEC_PROTO_ANY", 0: "IPPROTO_IP"}
L4 = {k: "IPPROTO_" + v.upper() for k, v in IPPROTO.items() if k < 256}
MODES = {0: "XFRM_MODE_TRANSPORT", 1: "XFRM_MODE_TUNNEL", 2: "XFRM_MODE_ROUTEOPTIMIZATION",
         3: "XFRM_MODE_IN_TRIGGER", 4: "XFRM_MODE_BEET"}
DIRS = {0: "XFRM_POLICY_IN", 1: "XFRM_POLICY_OUT", 2: "XFRM_POLICY_FWD"}
ACTIONS = {0: "XFRM_POLICY_ALLOW", 1: "XFRM_POLICY_BLOCK"}
SHARE = {0: "XFRM_SHARE_ANY", 1: "XFRM_SHARE_SESSION", 2: "XFRM_SHARE_USER", 3: "XFRM_SHARE_UNIQUE"}
SA_FLAGS = {1: "XFRM_STATE_NOECN", 2: "XFRM_STATE_DECAP_DSCP", 4: "XFRM_STATE_NOPMTUDISC",
            8: "XFRM_STATE_WILDRECV", 16: "XFRM_STATE_ICMP", 32: "XFRM_STATE_AF_UNSPEC",
            64: "XFRM_STATE_ALIGN4", 128: "XFRM_STATE_ESN"}
POLICY_FLAGS = {1: "XFRM_POLICY_LOCALOK", 2: "XFRM_POLICY_ICMP", 4: "XFRM_POLICY_CPU_ACQUIRE"}
AE_FLAGS = {1: "XFRM_AE_RTHR", 2: "XFRM_AE_RVAL", 4: "XFRM_AE_LVAL", 8: "XFRM_AE_ETHR",
            16: "XFRM_AE_CR", 32: "XFRM_AE_CE", 64: "XFRM_AE_CU"}
# One table for every `proto` member: an xfrm_id's is one of XFRM_PROTO, a selector's any
# L4 protocol (0: any); where they meet (255) the xfrm_id meaning wins.
PROTO = L4 | XFRM_PROTO
ENUMS = {"family": AF, "proto": PROTO, "mode": MODES, "dir": DIRS, "action": ACTIONS, "share": SHARE,
         "old_family": AF, "new_family": AF, "type": {0: "XFRM_POLICY_TYPE_MAIN", 1: "XFRM_POLICY_TYPE_SUB",
                                                     255: "XFRM_POLICY_TYPE_ANY"},
         "in": {0: "XFRM_USERPOLICY_UNSPEC", 1: "XFRM_USERPOLICY_BLOCK", 2: "XFRM_USERPOLICY_ACCEPT"},
         "encap_type": {1: "UDP_ENCAP_ESPINUDP_NON_IKE", 2: "UDP_ENCAP_ESPINUDP", 7: "TCP_ENCAP_ESPINTCP"}}
ENUMS["fwd"] = ENUMS["out"] = ENUMS["in"]
ADDR_FIELDS = ("daddr", "saddr", "encap_oa", "local", "remote", "old_daddr", "old_saddr", "new_daddr",
               "new_saddr")
KINDS = {n: "ipaddr" for n in ADDR_FIELDS} | {"alg_name": "string"}

FMTS = {"spi": lambda v: f"0x{v:08x}"}  # as ip xfrm prints it
ADDR = cs.Bytes(16)
SELECTOR = cs.Struct(
    "daddr" / ADDR, "saddr" / ADDR, "dport" / cs.Int16ub, "dport_mask" / cs.Int16ub,
    "sport" / cs.Int16ub, "sport_mask" / cs.Int16ub, "family" / cs.Int16un, "prefixlen_d" / cs.Int8un,
    "prefixlen_s" / cs.Int8un, "proto" / cs.Int8un, cs.Padding(3), "ifindex" / cs.Int32sn,
    "user" / cs.Int32un)
XFRM_ID = cs.Struct("daddr" / ADDR, "spi" / cs.Int32ub, "proto" / cs.Int8un, cs.Padding(3))
LIFETIME_CFG = cs.Struct(*[n / cs.Int64un for n in (
    "soft_byte_limit", "hard_byte_limit", "soft_packet_limit", "hard_packet_limit",
    "soft_add_expires_seconds", "hard_add_expires_seconds", "soft_use_expires_seconds",
    "hard_use_expires_seconds")])
LIFETIME_CUR = cs.Struct(*[n / cs.Int64un for n in ("bytes", "packets", "add_time", "use_time")])
STATS = cs.Struct("replay_window" / cs.Int32un, "replay" / cs.Int32un, "integrity_failed" / cs.Int32un)
USERSA_INFO = cs.Struct(
    "sel" / SELECTOR, "id" / XFRM_ID, "saddr" / ADDR, "lft" / LIFETIME_CFG, "curlft" / LIFETIME_CUR,
    "stats" / STATS, "seq" / cs.Int32un, "reqid" / cs.Int32un, "family" / cs.Int16un, "mode" / cs.Int8un,
    "replay_window" / cs.Int8un, "flags" / cs.Int8un, cs.Padding(7))
USERSA_ID = cs.Struct("daddr" / ADDR, "spi" / cs.Int32ub, "family" / cs.Int16un, "proto" / cs.Int8un,
                      cs.Padding(1))
USERPOLICY_INFO = cs.Struct(
    "sel" / SELECTOR, "lft" / LIFETIME_CFG, "curlft" / LIFETIME_CUR, "priority" / cs.Int32un,
    "index" / cs.Int32un, "dir" / cs.Int8un, "action" / cs.Int8un, "flags" / cs.Int8un,
    "share" / cs.Int8un, cs.Padding(4))
USERPOLICY_ID = cs.Struct("sel" / SELECTOR, "index" / cs.Int32un, "dir" / cs.Int8un, cs.Padding(3))


def _hdr(name: str, sc: cs.Struct, flags: dict[int, str] | None = None) -> FixedHeader:
    """A struct with xfrm's enums; `flags` names the bits of its (only) `flags` field."""
    return FixedHeader(name, sc, enums=ENUMS, kinds=KINDS, flags={"flags": flags} if flags else {}, fmts=FMTS)


H_USERSA_INFO = _hdr("xfrm_usersa_info", USERSA_INFO, SA_FLAGS)
H_USERSA_ID = _hdr("xfrm_usersa_id", USERSA_ID)
H_USERPOLICY_INFO = _hdr("xfrm_userpolicy_info", USERPOLICY_INFO, POLICY_FLAGS)
H_USERPOLICY_ID = _hdr("xfrm_userpolicy_id", USERPOLICY_ID)
H_USERSPI_INFO = _hdr("xfrm_userspi_info", cs.Struct("info" / USERSA_INFO, "min" / cs.Int32un,
                                                     "max" / cs.Int32un), SA_FLAGS)
H_ACQUIRE = _hdr("xfrm_user_acquire", cs.Struct(
    "id" / XFRM_ID, "saddr" / ADDR, "sel" / SELECTOR, "policy" / USERPOLICY_INFO, "aalgos" / cs.Int32un,
    "ealgos" / cs.Int32un, "calgos" / cs.Int32un, "seq" / cs.Int32un), POLICY_FLAGS)
H_EXPIRE = _hdr("xfrm_user_expire", cs.Struct("state" / USERSA_INFO, "hard" / cs.Int8un, cs.Padding(7)),
                SA_FLAGS)
H_POLEXPIRE = _hdr("xfrm_user_polexpire", cs.Struct("pol" / USERPOLICY_INFO, "hard" / cs.Int8un,
                                                    cs.Padding(7)), POLICY_FLAGS)
H_FLUSH = _hdr("xfrm_usersa_flush", cs.Struct("proto" / cs.Int8un))
H_AEVENT_ID = FixedHeader("xfrm_aevent_id", cs.Struct(
    "sa_id" / USERSA_ID, "saddr" / ADDR, "flags" / cs.Int32un, "reqid" / cs.Int32un),
    enums=ENUMS, kinds=KINDS, flags={"flags": AE_FLAGS}, fmts=FMTS)
H_REPORT = _hdr("xfrm_user_report", cs.Struct("proto" / cs.Int8un, cs.Padding(3), "sel" / SELECTOR))
H_INFO_FLAGS = FixedHeader("flags", cs.Struct("flags" / cs.Int32un))
H_MAPPING = _hdr("xfrm_user_mapping", cs.Struct(
    "id" / USERSA_ID, "reqid" / cs.Int32un, "old_saddr" / ADDR, "new_saddr" / ADDR,
    "old_sport" / cs.Int16ub, "new_sport" / cs.Int16ub))
H_DEFAULT = _hdr("xfrm_userpolicy_default", cs.Struct("in" / cs.Int8un, "fwd" / cs.Int8un, "out" / cs.Int8un))

# -- structs inside attributes ------------------------------------------------------------
ALGO = FixedHeader("xfrm_algo", cs.Struct("alg_name" / cs.Bytes(64), "alg_key_len" / cs.Int32un),
                   kinds=KINDS)
ALGO_AUTH = FixedHeader("xfrm_algo_auth", cs.Struct(
    "alg_name" / cs.Bytes(64), "alg_key_len" / cs.Int32un, "alg_trunc_len" / cs.Int32un), kinds=KINDS)
ALGO_AEAD = FixedHeader("xfrm_algo_aead", cs.Struct(
    "alg_name" / cs.Bytes(64), "alg_key_len" / cs.Int32un, "alg_icv_len" / cs.Int32un), kinds=KINDS)
ENCAP = _hdr("xfrm_encap_tmpl", cs.Struct(
    "encap_type" / cs.Int16un, "encap_sport" / cs.Int16ub, "encap_dport" / cs.Int16ub, cs.Padding(2),
    "encap_oa" / ADDR))
TMPL = _hdr("xfrm_user_tmpl", cs.Struct(
    "id" / XFRM_ID, "family" / cs.Int16un, cs.Padding(2), "saddr" / ADDR, "reqid" / cs.Int32un,
    "mode" / cs.Int8un, "share" / cs.Int8un, "optional" / cs.Int8un, cs.Padding(1),
    "aalgos" / cs.Int32un, "ealgos" / cs.Int32un, "calgos" / cs.Int32un))
MIGRATE = _hdr("xfrm_user_migrate", cs.Struct(
    "old_daddr" / ADDR, "old_saddr" / ADDR, "new_daddr" / ADDR, "new_saddr" / ADDR, "proto" / cs.Int8un,
    "mode" / cs.Int8un, "reserved" / cs.Int16un, "reqid" / cs.Int32un, "old_family" / cs.Int16un,
    "new_family" / cs.Int16un))
SEC_CTX = FixedHeader("xfrm_user_sec_ctx", cs.Struct(
    "len" / cs.Int16un, "exttype" / cs.Int16un, "ctx_alg" / cs.Int8un, "ctx_doi" / cs.Int8un,
    "ctx_len" / cs.Int16un), enums={"ctx_alg": {1: "XFRM_SC_ALG_SELINUX"}, "ctx_doi": {1: "XFRM_SC_DOI_LSM"}})
REPLAY = FixedHeader("xfrm_replay_state", cs.Struct(
    "oseq" / cs.Int32un, "seq" / cs.Int32un, "bitmap" / cs.Int32un))
REPLAY_ESN = FixedHeader("xfrm_replay_state_esn", cs.Struct(*[n / cs.Int32un for n in (
    "bmp_len", "oseq", "seq", "oseq_hi", "seq_hi", "replay_window")]))
KMADDRESS = _hdr("xfrm_user_kmaddress", cs.Struct(
    "local" / ADDR, "remote" / ADDR, "reserved" / cs.Int32un, "family" / cs.Int16un, cs.Padding(2)))
ADDRESS_FILTER = _hdr("xfrm_address_filter", cs.Struct(
    "saddr" / ADDR, "daddr" / ADDR, "family" / cs.Int16un, "splen" / cs.Int8un, "dplen" / cs.Int8un))
OFFLOAD = FixedHeader("xfrm_user_offload", cs.Struct("ifindex" / cs.Int32sn, "flags" / cs.Int8un, cs.Padding(3)),
                      flags={"flags": {1: "XFRM_OFFLOAD_IPV6", 2: "XFRM_OFFLOAD_INBOUND", 4: "XFRM_OFFLOAD_PACKET"}})
MARK = FixedHeader("xfrm_mark", cs.Struct("v" / cs.Int32un, "m" / cs.Int32un))
POLICY_TYPE = _hdr("xfrm_userpolicy_type", cs.Struct(
    "type" / cs.Int8un, cs.Padding(1), "reserved1" / cs.Int16un, "reserved2" / cs.Int8un, cs.Padding(1)))
LIFETIME_CUR_H = FixedHeader("xfrm_lifetime_cur", LIFETIME_CUR)

XFRMA = AttrSet("xfrm_attr_type_t", {
    1: Attr("XFRMA_ALG_AUTH", "struct", struct=ALGO),
    2: Attr("XFRMA_ALG_CRYPT", "struct", struct=ALGO),
    3: Attr("XFRMA_ALG_COMP", "struct", struct=ALGO),
    4: Attr("XFRMA_ENCAP", "struct", struct=ENCAP),
    5: Attr("XFRMA_TMPL", "binary"),  # array of xfrm_user_tmpl: split in xfrm.py
    6: Attr("XFRMA_SA", "struct", struct=H_USERSA_INFO),
    7: Attr("XFRMA_POLICY", "struct", struct=H_USERPOLICY_INFO),
    8: Attr("XFRMA_SEC_CTX", "struct", struct=SEC_CTX),
    9: Attr("XFRMA_LTIME_VAL", "struct", struct=LIFETIME_CUR_H),
    10: Attr("XFRMA_REPLAY_VAL", "struct", struct=REPLAY),
    11: Attr("XFRMA_REPLAY_THRESH", "u32"),
    12: Attr("XFRMA_ETIMER_THRESH", "u32"),
    13: Attr("XFRMA_SRCADDR", "ipaddr"),
    14: Attr("XFRMA_COADDR", "ipaddr"),
    15: Attr("XFRMA_LASTUSED", "u64"),
    16: Attr("XFRMA_POLICY_TYPE", "struct", struct=POLICY_TYPE),
    17: Attr("XFRMA_MIGRATE", "binary"),  # array of xfrm_user_migrate: split in xfrm.py
    18: Attr("XFRMA_ALG_AEAD", "struct", struct=ALGO_AEAD),
    19: Attr("XFRMA_KMADDRESS", "struct", struct=KMADDRESS),
    20: Attr("XFRMA_ALG_AUTH_TRUNC", "struct", struct=ALGO_AUTH),
    21: Attr("XFRMA_MARK", "struct", struct=MARK),
    22: Attr("XFRMA_TFCPAD", "u32"),
    23: Attr("XFRMA_REPLAY_ESN_VAL", "struct", struct=REPLAY_ESN),
    24: Attr("XFRMA_SA_EXTRA_FLAGS", "u32", flags={1: "XFRM_SA_XFLAG_DONT_ENCAP_DSCP",
                                                   2: "XFRM_SA_XFLAG_OSEQ_MAY_WRAP"}),
    25: Attr("XFRMA_PROTO", "u8", enum=XFRM_PROTO),
    26: Attr("XFRMA_ADDRESS_FILTER", "struct", struct=ADDRESS_FILTER),
    27: Attr("XFRMA_PAD", "binary"),
    28: Attr("XFRMA_OFFLOAD_DEV", "struct", struct=OFFLOAD),
    29: Attr("XFRMA_SET_MARK", "u32"),
    30: Attr("XFRMA_SET_MARK_MASK", "u32"),
    31: Attr("XFRMA_IF_ID", "u32"),
    32: Attr("XFRMA_MTIMER_THRESH", "u32"),
    33: Attr("XFRMA_SA_DIR", "u8", enum={1: "XFRM_SA_DIR_IN", 2: "XFRM_SA_DIR_OUT"}),
    34: Attr("XFRMA_NAT_KEEPALIVE_INTERVAL", "u32"),
    35: Attr("XFRMA_SA_PCPU", "u32"),
})
SAD = AttrSet("xfrm_sadattr_type_t", {
    1: Attr("XFRMA_SAD_CNT", "u32"),
    2: Attr("XFRMA_SAD_HINFO", "struct", struct=FixedHeader("xfrmu_sadhinfo", cs.Struct(
        "sadhcnt" / cs.Int32un, "sadhmcnt" / cs.Int32un))),
})
_HTHRESH = FixedHeader("xfrmu_spdhthresh", cs.Struct("lbits" / cs.Int8un, "rbits" / cs.Int8un))
SPD = AttrSet("xfrm_spdattr_type_t", {
    1: Attr("XFRMA_SPD_INFO", "struct", struct=FixedHeader("xfrmu_spdinfo", cs.Struct(*[n / cs.Int32un for n in (
        "incnt", "outcnt", "fwdcnt", "inscnt", "outscnt", "fwdscnt")]))),
    2: Attr("XFRMA_SPD_HINFO", "struct", struct=FixedHeader("xfrmu_spdhinfo", cs.Struct(
        "spdhcnt" / cs.Int32un, "spdhmcnt" / cs.Int32un))),
    3: Attr("XFRMA_SPD_IPV4_HTHRESH", "struct", struct=_HTHRESH),
    4: Attr("XFRMA_SPD_IPV6_HTHRESH", "struct", struct=_HTHRESH),
})
