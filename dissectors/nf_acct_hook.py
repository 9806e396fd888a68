"""nfacct (NFNL_SUBSYS_ACCT), OS fingerprints (NFNL_SUBSYS_OSF) and the hook
listing (NFNL_SUBSYS_HOOK). Facts: linux/netfilter/nfnetlink_acct.h,
nfnetlink_osf.h, nfnetlink_hook.h; byte orders and widths from the kernel's
nla_put_*/nla_get_* calls (net/netfilter/nfnetlink_acct.c, nfnetlink_hook.c):
all be32/be64 except NFNLA_CHAIN_FAMILY, a u8 (nla_put_u8 of the table's family).
"""
from __future__ import annotations

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet

from .nf_common import NFPROTO, be_s32, kind_of, nf_message
from .nf_tables import HOOKS_BY_FAMILY, nfgen_family

ACCT_MSGS = {0: "NFNL_MSG_ACCT_NEW", 1: "NFNL_MSG_ACCT_GET", 2: "NFNL_MSG_ACCT_GET_CTRZERO",
             3: "NFNL_MSG_ACCT_DEL", 4: "NFNL_MSG_ACCT_OVERQUOTA"}
OSF_MSGS = {0: "OSF_MSG_ADD", 1: "OSF_MSG_REMOVE"}
HOOK_MSGS = {0: "NFNL_MSG_HOOK_GET"}

ACCT = AttrSet("nfnl_acct_type", {
    1: Attr("NFACCT_NAME", "string"),
    2: Attr("NFACCT_PKTS", "be64"),
    3: Attr("NFACCT_BYTES", "be64"),
    4: Attr("NFACCT_USE", "be32"),
    5: Attr("NFACCT_FLAGS", "be32", flags={1: "NFACCT_F_QUOTA_PKTS", 2: "NFACCT_F_QUOTA_BYTES",
                                           4: "NFACCT_F_OVERQUOTA"}),
    6: Attr("NFACCT_QUOTA", "be64"),
    7: Attr("NFACCT_FILTER", "nested", nested=AttrSet("nfnl_attr_filter_type", {
        1: Attr("NFACCT_FILTER_MASK", "be32"), 2: Attr("NFACCT_FILTER_VALUE", "be32")})),
    8: Attr("NFACCT_PAD", "binary"),
})
OSF = AttrSet("nf_osf_attr_type", {1: Attr("OSF_ATTR_FINGER", "binary")})

CHAIN_DESC = AttrSet("nfnl_hook_chain_desc_attributes", {
    1: Attr("NFNLA_CHAIN_TABLE", "string"),
    2: Attr("NFNLA_CHAIN_FAMILY", "u8", enum=NFPROTO),
    3: Attr("NFNLA_CHAIN_NAME", "string"),
})
BPF_DESC = AttrSet("nfnl_hook_bpf_attributes", {1: Attr("NFNLA_HOOK_BPF_ID", "be32")})


def _desc(siblings):
    for f in siblings:
        if f.name == "NFNLA_HOOK_INFO_TYPE" and f.value == 2:
            return BPF_DESC
    return CHAIN_DESC


def _hook(hooks: dict[int, str] | None) -> AttrSet:
    return AttrSet("nfnl_hook_attributes", {
        1: Attr("NFNLA_HOOK_HOOKNUM", "be32", enum=hooks),
        2: be_s32("NFNLA_HOOK_PRIORITY"),  # nla_put_be32(htonl(ops->priority)), an int
        3: Attr("NFNLA_HOOK_DEV", "string"),
        4: Attr("NFNLA_HOOK_FUNCTION_NAME", "string"),
        5: Attr("NFNLA_HOOK_MODULE_NAME", "string"),
        6: Attr("NFNLA_HOOK_CHAIN_INFO", "nested", nested=AttrSet("nfnl_hook_chain_info_attributes", {
            1: Attr("NFNLA_HOOK_INFO_DESC", "nested", nested=_desc),
            2: Attr("NFNLA_HOOK_INFO_TYPE", "be32", enum={1: "NFNL_HOOK_TYPE_NFTABLES", 2: "NFNL_HOOK_TYPE_BPF"}),
        })),
    })


HOOK = _hook(None)
# the hook number's names depend on the family asked (the nfgenmsg's)
_HOOK_BY_FAMILY = {fam: _hook(hooks) for fam, hooks in HOOKS_BY_FAMILY.items()}


def hook_attrs(fields: list[Field]) -> AttrSet:
    return _HOOK_BY_FAMILY.get(nfgen_family(fields), HOOK)


def messages() -> dict[int, object]:
    out: dict[int, object] = {}
    for m, name in ACCT_MSGS.items():
        out[(7 << 8) | m] = nf_message(name, kind_of(name), ACCT, ACCT_MSGS)
    for m, name in OSF_MSGS.items():
        out[(5 << 8) | m] = nf_message(name, "new" if m == 0 else "del", OSF, OSF_MSGS)
    out[(12 << 8) | 0] = nf_message("NFNL_MSG_HOOK_GET", "get", hook_attrs, HOOK_MSGS)
    return out
