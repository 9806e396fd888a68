"""The generic netlink controller, family "nlctrl" (id 0x10): CTRL_CMD_* and CTRL_ATTR_*
from linux/genetlink.h, policies (NL_POLICY_TYPE_ATTR_*) from linux/netlink.h.

Its NEWFAMILY messages (replies to GETFAMILY and notifications) teach the decoder the
capture's family ids (genl.GenlProtocol.learn).
"""
from __future__ import annotations

from nlscope.decode.decoder import POLICY_ATTRS
from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, child_count

from .genl import GENL_ID_CTRL, GenlFamily, IndexSet, add_family, attrs_of, family_map, join

CTRL_CMDS = {
    0: "UNSPEC", 1: "NEWFAMILY", 2: "DELFAMILY", 3: "GETFAMILY", 4: "NEWOPS", 5: "DELOPS",
    6: "GETOPS", 7: "NEWMCAST_GRP", 8: "DELMCAST_GRP", 9: "GETMCAST_GRP", 10: "GETPOLICY",
}
# Replies to GETFAMILY are NEWFAMILY; GETPOLICY answers with GETPOLICY.
CTRL_KINDS = {"NEWFAMILY": "new", "DELFAMILY": "del", "GETFAMILY": "get", "NEWOPS": "new",
              "DELOPS": "del", "GETOPS": "get", "NEWMCAST_GRP": "new", "DELMCAST_GRP": "del",
              "GETMCAST_GRP": "get", "GETPOLICY": "get"}

OP_FLAGS = {0x01: "ADMIN_PERM", 0x02: "CMD_CAP_DO", 0x04: "CMD_CAP_DUMP",
            0x08: "CMD_CAP_HASPOL", 0x10: "UNS_ADMIN_PERM"}

MCAST_GRP_ATTRS = AttrSet("ctrl-mcast-grp", {
    1: Attr("CTRL_ATTR_MCAST_GRP_NAME", "string"),
    2: Attr("CTRL_ATTR_MCAST_GRP_ID", "u32"),
})
OP_POLICY_ATTRS = AttrSet("ctrl-op-policy", {
    1: Attr("CTRL_ATTR_POLICY_DO", "u32"),
    2: Attr("CTRL_ATTR_POLICY_DUMP", "u32"),
})


# CTRL_ATTR_POLICY: policy index -> attribute number -> NL_POLICY_TYPE_ATTR_*.
POLICY_ENTRY = IndexSet("ctrl-policy-attr", lambda t: Attr(str(t), "nested", nested=POLICY_ATTRS))
# CTRL_ATTR_OP_POLICY: command -> CTRL_ATTR_POLICY_DO/DUMP.
OP_POLICY = IndexSet("ctrl-op-policy-cmd", lambda t: Attr(str(t), "nested", nested=OP_POLICY_ATTRS))


def _name_of(siblings: list[Field]) -> str | None:
    for f in siblings:
        if f.name == "CTRL_ATTR_FAMILY_NAME":
            return f.value
    return None


def ctrl_attrs(families) -> AttrSet:
    """The controller's attributes. CTRL_ATTR_OP_ID is named with the commands of the
    family the message describes, when that family is registered (`families`: the
    registry's name -> GenlFamily map)."""
    plain_ops = AttrSet("ctrl-op", {1: Attr("CTRL_ATTR_OP_ID", "u32"),
                                    2: Attr("CTRL_ATTR_OP_FLAGS", "u32", flags=OP_FLAGS)})
    cache: dict[str, AttrSet] = {}

    def ops_for(siblings: list[Field]) -> AttrSet:
        fam = families.get(_name_of(siblings) or "")
        if fam is None:
            return plain_ops
        s = cache.get(fam.name)
        if s is None or s.attrs[1].enum is not fam.commands:
            s = cache[fam.name] = AttrSet("ctrl-op", {
                1: Attr("CTRL_ATTR_OP_ID", "u32", enum=fam.commands),
                2: plain_ops.attrs[2]})
        return s

    return AttrSet("ctrl", {
        1: Attr("CTRL_ATTR_FAMILY_ID", "u16"),
        2: Attr("CTRL_ATTR_FAMILY_NAME", "string"),
        3: Attr("CTRL_ATTR_VERSION", "u32"),
        4: Attr("CTRL_ATTR_HDRSIZE", "u32"),
        5: Attr("CTRL_ATTR_MAXATTR", "u32"),
        6: Attr("CTRL_ATTR_OPS", "nested-array", nested=ops_for),
        7: Attr("CTRL_ATTR_MCAST_GROUPS", "nested-array", nested=MCAST_GRP_ATTRS),
        8: Attr("CTRL_ATTR_POLICY", "nested-array", nested=POLICY_ENTRY),
        9: Attr("CTRL_ATTR_OP_POLICY", "nested", nested=OP_POLICY),
        10: Attr("CTRL_ATTR_OP", "u32"),
    })


def _policy_text(pol: Field) -> str:
    """'policy 0 attr 5 U32 max 32' for a GETPOLICY reply's one entry."""
    parts = []
    for idx in pol.children or ():
        for attr in idx.children or ():
            kv = {c.name[len("NL_POLICY_TYPE_ATTR_"):]: c for c in attr.children or ()}
            text = f"policy {idx.name} attr {attr.name}"
            if "TYPE" in kv:
                text += f" {kv['TYPE'].short()}"
            for k, label in (("MIN_VALUE_U", "min"), ("MIN_VALUE_S", "min"),
                             ("MAX_VALUE_U", "max"), ("MAX_VALUE_S", "max"),
                             ("MIN_LENGTH", "minlen"), ("MAX_LENGTH", "maxlen"),
                             ("POLICY_IDX", "nested policy")):
                if k in kv:
                    text += f" {label} {kv[k].value}"
            parts.append(text)
    return "; ".join(parts)


def summary(cmd: str, fields: list[Field]) -> str:
    a = {f.name: f for f in attrs_of(fields)}
    name = a.get("CTRL_ATTR_FAMILY_NAME")
    fid = a.get("CTRL_ATTR_FAMILY_ID")
    who = join(name.value if name else None, f"id {fid.value}" if fid else None)
    if cmd in ("NEWFAMILY", "DELFAMILY"):
        groups = a.get("CTRL_ATTR_MCAST_GROUPS")
        n = child_count(groups) if groups else 0
        ops = a.get("CTRL_ATTR_OPS")
        if groups is None and ops is None:
            return who
        return join(who, f"({n} mcast group{'s' if n != 1 else ''})")
    if cmd in ("NEWMCAST_GRP", "DELMCAST_GRP"):
        groups = a.get("CTRL_ATTR_MCAST_GROUPS")
        gnames = []
        for g in (groups.children or ()) if groups else ():
            gn = g.get("CTRL_ATTR_MCAST_GRP_NAME")
            gi = g.get("CTRL_ATTR_MCAST_GRP_ID")
            gnames.append(join(gn.value if gn else None, f"({gi.value})" if gi else None))
        return join(who, "group " + ", ".join(gnames) if gnames else None)
    if cmd == "GETPOLICY":
        op = a.get("CTRL_ATTR_OP")
        text = join(who, f"op {op.value}" if op else None)
        pol = a.get("CTRL_ATTR_POLICY")
        if pol is not None:
            text = join(text, _policy_text(pol))
        opp = a.get("CTRL_ATTR_OP_POLICY")
        if opp is not None:
            for c in opp.children or ():
                do = c.get("CTRL_ATTR_POLICY_DO")
                dump = c.get("CTRL_ATTR_POLICY_DUMP")
                text = join(text, f"op {c.name}", f"do policy {do.value}" if do else None,
                            f"dump policy {dump.value}" if dump else None)
        return text
    return who


def register(registry) -> None:
    add_family(registry, GenlFamily(
        "nlctrl", CTRL_CMDS, attrs=ctrl_attrs(family_map(registry)), summary=summary,
        kinds=CTRL_KINDS, fixed_id=GENL_ID_CTRL))
