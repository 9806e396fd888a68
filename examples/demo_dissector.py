"""A worked example of an nlscope dissector plugin (see README.md, "Writing a dissector").

A made-up family on netlink protocol 25 ("demo"): one message type DEMO_SET = 16 with
a fixed header and three attributes. Load it with:

    nlscope read capture.pcapng --dissector examples/demo_dissector.py
"""
from construct import Int8un, Int16un, Int32un, Padding, Struct

from nlscope.decode.model import find
from nlscope.decode.nla import Attr, AttrSet, FixedHeader
from nlscope.decode.registry import MessageType, Protocol

DEMO_PROTOCOL = 25
COLORS = {0: "RED", 1: "GREEN", 2: "BLUE"}

demo_hdr = FixedHeader(
    "demo_hdr",
    Struct("version" / Int8un, Padding(1), "color" / Int16un, "id" / Int32un),
    enums={"color": COLORS},
)

demo_attrs = AttrSet("demo", {
    1: Attr("DEMO_A_NAME", "string"),
    2: Attr("DEMO_A_ADDR", "ipaddr"),
    3: Attr("DEMO_A_OPTS", "nested", nested=AttrSet("demo_opts", {
        1: Attr("DEMO_OPT_VERBOSE", "flag"),
        2: Attr("DEMO_OPT_LIMIT", "u32"),
    })),
})


def summarize(msg, fields) -> str:
    name = find(fields, "DEMO_A_NAME")
    color = find(fields, "color")
    return f"DEMO_SET {name.value if name else '?'} color {color.short()}"


def register(registry) -> None:
    registry.add(Protocol(DEMO_PROTOCOL, "demo", {
        16: MessageType("DEMO_SET", kind="new", header=demo_hdr, attrs=demo_attrs, summary=summarize),
    }))
