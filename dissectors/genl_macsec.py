"""MACsec's generic netlink family "macsec" (linux/if_macsec.h; kinds from
drivers/net/macsec.c's policies and nla_put_* calls: an SCI is a __be64 (shown in hex
like `ip macsec`), a PN u32 or u64 (XPN), SSCI __be32; SA statistics are u32, the
others u64). Lists (TXSA_LIST, RXSC_LIST, SA_LIST) hold one nest per element, typed by
its position."""
from __future__ import annotations

from nlscope.decode.nla import Attr

from .genl import GenlFamily, IndexSet, K, add_family, join, table_set, top

COMMANDS = {0: "GET_TXSC", 1: "ADD_RXSC", 2: "DEL_RXSC", 3: "UPD_RXSC", 4: "ADD_TXSA",
            5: "DEL_TXSA", 6: "UPD_TXSA", 7: "ADD_RXSA", 8: "DEL_RXSA", 9: "UPD_RXSA",
            10: "UPD_OFFLOAD"}
CIPHERS = {0x0080C20001000001: "GCM_AES_128", 0x0080C20001000002: "GCM_AES_256",
           0x0080C20001000003: "GCM_AES_XPN_128", 0x0080C20001000004: "GCM_AES_XPN_256",
           0x0080020001000001: "GCM_AES_128"}  # the last: MACSEC_DEFAULT_CIPHER_ALT
VALIDATE = {0: "DISABLED", 1: "CHECK", 2: "STRICT"}
OFFLOAD = {0: "OFF", 1: "PHY", 2: "MAC"}


def _sci(v: int) -> str:
    return f"{v:016x}"


SCI = K("be64", fmt=_sci)

RXSC_STATS = table_set("macsec_rxsc_stats_attr", "MACSEC_RXSC_STATS_ATTR_", {
    1: "IN_OCTETS_VALIDATED", 2: "IN_OCTETS_DECRYPTED", 3: "IN_PKTS_UNCHECKED",
    4: "IN_PKTS_DELAYED", 5: "IN_PKTS_OK", 6: "IN_PKTS_INVALID", 7: "IN_PKTS_LATE",
    8: "IN_PKTS_NOT_VALID", 9: "IN_PKTS_NOT_USING_SA", 10: "IN_PKTS_UNUSED_SA", 11: "PAD"},
    default="u64")
SA_STATS = table_set("macsec_sa_stats_attr", "MACSEC_SA_STATS_ATTR_", {
    1: "IN_PKTS_OK", 2: "IN_PKTS_INVALID", 3: "IN_PKTS_NOT_VALID", 4: "IN_PKTS_NOT_USING_SA",
    5: "IN_PKTS_UNUSED_SA", 6: "OUT_PKTS_PROTECTED", 7: "OUT_PKTS_ENCRYPTED"}, default="u32")
TXSC_STATS = table_set("macsec_txsc_stats_attr", "MACSEC_TXSC_STATS_ATTR_", {
    1: "OUT_PKTS_PROTECTED", 2: "OUT_PKTS_ENCRYPTED", 3: "OUT_OCTETS_PROTECTED",
    4: "OUT_OCTETS_ENCRYPTED", 5: "PAD"}, default="u64")
SECY_STATS = table_set("macsec_secy_stats_attr", "MACSEC_SECY_STATS_ATTR_", {
    1: "OUT_PKTS_UNTAGGED", 2: "IN_PKTS_UNTAGGED", 3: "OUT_PKTS_TOO_LONG", 4: "IN_PKTS_NO_TAG",
    5: "IN_PKTS_BAD_TAG", 6: "IN_PKTS_UNKNOWN_SCI", 7: "IN_PKTS_NO_SCI", 8: "IN_PKTS_OVERRUN",
    9: "PAD"}, default="u64")
for _s in (RXSC_STATS, TXSC_STATS, SECY_STATS):
    _s.attrs = {t: a if not a.name.endswith("_PAD") else Attr(a.name, "binary") for t, a in _s.attrs.items()}

SA = table_set("macsec_sa_attrs", "MACSEC_SA_ATTR_", {
    1: "AN", 2: "ACTIVE", 3: "PN", 4: "KEY", 5: "KEYID", 6: "STATS", 7: "PAD", 8: "SSCI", 9: "SALT"},
    {"AN": "u8", "ACTIVE": "u8", "PN": "uint", "KEY": "binary", "KEYID": "binary",
     "STATS": K("nested", nested=SA_STATS), "SSCI": "be32", "SALT": "binary"})
SA_LIST = IndexSet("macsec_sa_list", lambda t: Attr(str(t), "nested", nested=SA))
RXSC = table_set("macsec_rxsc_attrs", "MACSEC_RXSC_ATTR_", {
    1: "SCI", 2: "ACTIVE", 3: "SA_LIST", 4: "STATS", 5: "PAD"},
    {"SCI": SCI, "ACTIVE": "u8", "SA_LIST": K("nested", nested=SA_LIST),
     "STATS": K("nested", nested=RXSC_STATS)})
RXSC_LIST = IndexSet("macsec_rxsc_list", lambda t: Attr(str(t), "nested", nested=RXSC))
SECY = table_set("macsec_secy_attrs", "MACSEC_SECY_ATTR_", {
    1: "SCI", 2: "ENCODING_SA", 3: "WINDOW", 4: "CIPHER_SUITE", 5: "ICV_LEN", 6: "PROTECT",
    7: "REPLAY", 8: "OPER", 9: "VALIDATE", 10: "ENCRYPT", 11: "INC_SCI", 12: "ES", 13: "SCB",
    14: "PAD"},
    {"SCI": SCI, "ENCODING_SA": "u8", "WINDOW": "u32", "CIPHER_SUITE": K("u64", enum=CIPHERS),
     "ICV_LEN": "u8", "PROTECT": "u8", "REPLAY": "u8", "OPER": "u8",
     "VALIDATE": K("u8", enum=VALIDATE), "ENCRYPT": "u8", "INC_SCI": "u8", "ES": "u8", "SCB": "u8"})
OFFLOAD_ATTRS = table_set("macsec_offload_attrs", "MACSEC_OFFLOAD_ATTR_", {1: "TYPE", 2: "PAD"},
                          {"TYPE": K("u8", enum=OFFLOAD)})
ATTRS = table_set("macsec_attrs", "MACSEC_ATTR_", {
    1: "IFINDEX", 2: "RXSC_CONFIG", 3: "SA_CONFIG", 4: "SECY", 5: "TXSA_LIST", 6: "RXSC_LIST",
    7: "TXSC_STATS", 8: "SECY_STATS", 9: "OFFLOAD"},
    {"IFINDEX": "u32", "RXSC_CONFIG": K("nested", nested=RXSC), "SA_CONFIG": K("nested", nested=SA),
     "SECY": K("nested", nested=SECY), "TXSA_LIST": K("nested", nested=SA_LIST),
     "RXSC_LIST": K("nested", nested=RXSC_LIST), "TXSC_STATS": K("nested", nested=TXSC_STATS),
     "SECY_STATS": K("nested", nested=SECY_STATS), "OFFLOAD": K("nested", nested=OFFLOAD_ATTRS)})


def _summary(cmd: str, fields) -> str:
    """'ifindex 3 sci 1122334455667788', and the SA being configured."""
    idx = top(fields, "MACSEC_ATTR_IFINDEX")
    secy, rxsc, sa = (top(fields, "MACSEC_ATTR_" + n) for n in ("SECY", "RXSC_CONFIG", "SA_CONFIG"))
    sci = (secy or rxsc).get("MACSEC_" + ("SECY" if secy else "RXSC") + "_ATTR_SCI") if secy or rxsc else None
    an = sa.get("MACSEC_SA_ATTR_AN") if sa is not None else None
    return join(f"ifindex {idx.value}" if idx is not None else None,
                f"sci {sci.short()}" if sci is not None else None,
                f"sa {an.value}" if an is not None else None)


def register(registry) -> None:
    add_family(registry, GenlFamily("macsec", COMMANDS, attrs=ATTRS, summary=_summary,
                                    kinds={"GET_TXSC": "get", "UPD_RXSC": "other",
                                           "UPD_TXSA": "other", "UPD_RXSA": "other",
                                           "UPD_OFFLOAD": "other"}))
