"""The RTMGR generic netlink family of the project's rtmgr.ko (kmod/include/rtmgr.h,
kmod/rtmgr/rtmgr.c): commands CREATE/UPDATE/DELETE/GET (do and dump), attributes
RTMGR_A_DEST/MASK/GW/OIF/METRIC; changes are announced on the "events" multicast group
with the command of the change. Its YNL spec is kmod/rtmgr/rtmgr.yaml (tests compare
the two decodes)."""
from __future__ import annotations

from nlscope.decode import summary_fields as sf
from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet

from .genl import GenlFamily, add_family
from .kmod import route_text

RTMGR_GENL_NAME = "RTMGR"
CMDS = {1: "CREATE", 2: "UPDATE", 3: "DELETE", 4: "GET"}
ATTRS = AttrSet("rtmgr", {
    1: Attr("RTMGR_A_DEST", "ipv4"),    # be32 (nla_put_in_addr)
    2: Attr("RTMGR_A_MASK", "u8"),
    3: Attr("RTMGR_A_GW", "ipv4"),      # be32
    4: Attr("RTMGR_A_OIF", "string"),
    5: Attr("RTMGR_A_METRIC", "u32"),
})


def summary(cmd: str, fields: list[Field]) -> str:
    def a(name: str, read=sf.text):
        return read(sf.attr(fields, "RTMGR_A_" + name))
    return route_text(a("DEST"), a("MASK", sf.num), a("GW"), a("OIF"), a("METRIC", sf.num))


def register(registry) -> None:
    add_family(registry, GenlFamily(RTMGR_GENL_NAME, CMDS, attrs=ATTRS, summary=summary,
                                    kinds={"UPDATE": "other"}))
