"""ethtool netlink (generic netlink family "ethtool"), linux/ethtool_netlink.h.

ethtool numbers its messages apart by direction: ETHTOOL_MSG_*_GET/_SET/_ACT from user
space, ETHTOOL_MSG_*_GET_REPLY/_NTF from the kernel, and each message kind has its own
attribute space (ETHTOOL_A_LINKINFO_*, ...), all opening with the request header nest
(ETHTOOL_A_HEADER_DEV_INDEX/DEV_NAME/FLAGS) and using bitset nests (ETHTOOL_A_BITSET_*)
for link modes, features, flags. Name tables below are from the 6.12 UAPI header.
"""
from __future__ import annotations

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, child_count

from .genl import GenlFamily, K, add_family, attrs_of, join, table_set

# -- name tables (linux/ethtool_netlink.h) -------------------------------------------------
CMDS = {
    1: "STRSET_GET", 2: "LINKINFO_GET", 3: "LINKINFO_SET",
    4: "LINKMODES_GET", 5: "LINKMODES_SET", 6: "LINKSTATE_GET", 7: "DEBUG_GET",
    8: "DEBUG_SET", 9: "WOL_GET", 10: "WOL_SET", 11: "FEATURES_GET", 12: "FEATURES_SET",
    13: "PRIVFLAGS_GET", 14: "PRIVFLAGS_SET", 15: "RINGS_GET", 16: "RINGS_SET",
    17: "CHANNELS_GET", 18: "CHANNELS_SET", 19: "COALESCE_GET", 20: "COALESCE_SET",
    21: "PAUSE_GET", 22: "PAUSE_SET", 23: "EEE_GET", 24: "EEE_SET", 25: "TSINFO_GET",
    26: "CABLE_TEST_ACT", 27: "CABLE_TEST_TDR_ACT", 28: "TUNNEL_INFO_GET", 29: "FEC_GET",
    30: "FEC_SET", 31: "MODULE_EEPROM_GET", 32: "STATS_GET", 33: "PHC_VCLOCKS_GET",
    34: "MODULE_GET", 35: "MODULE_SET", 36: "PSE_GET", 37: "PSE_SET", 38: "RSS_GET",
    39: "PLCA_GET_CFG", 40: "PLCA_SET_CFG", 41: "PLCA_GET_STATUS", 42: "MM_GET",
    43: "MM_SET", 44: "MODULE_FW_FLASH_ACT", 45: "PHY_GET",
}

REPLIES = {
    1: "STRSET_GET_REPLY", 2: "LINKINFO_GET_REPLY", 3: "LINKINFO_NTF",
    4: "LINKMODES_GET_REPLY", 5: "LINKMODES_NTF", 6: "LINKSTATE_GET_REPLY",
    7: "DEBUG_GET_REPLY", 8: "DEBUG_NTF", 9: "WOL_GET_REPLY", 10: "WOL_NTF",
    11: "FEATURES_GET_REPLY", 12: "FEATURES_SET_REPLY", 13: "FEATURES_NTF",
    14: "PRIVFLAGS_GET_REPLY", 15: "PRIVFLAGS_NTF", 16: "RINGS_GET_REPLY", 17: "RINGS_NTF",
    18: "CHANNELS_GET_REPLY", 19: "CHANNELS_NTF", 20: "COALESCE_GET_REPLY",
    21: "COALESCE_NTF", 22: "PAUSE_GET_REPLY", 23: "PAUSE_NTF", 24: "EEE_GET_REPLY",
    25: "EEE_NTF", 26: "TSINFO_GET_REPLY", 27: "CABLE_TEST_NTF", 28: "CABLE_TEST_TDR_NTF",
    29: "TUNNEL_INFO_GET_REPLY", 30: "FEC_GET_REPLY", 31: "FEC_NTF",
    32: "MODULE_EEPROM_GET_REPLY", 33: "STATS_GET_REPLY", 34: "PHC_VCLOCKS_GET_REPLY",
    35: "MODULE_GET_REPLY", 36: "MODULE_NTF", 37: "PSE_GET_REPLY", 38: "RSS_GET_REPLY",
    39: "PLCA_GET_CFG_REPLY", 40: "PLCA_GET_STATUS_REPLY", 41: "PLCA_NTF",
    42: "MM_GET_REPLY", 43: "MM_NTF", 44: "MODULE_FW_FLASH_NTF", 45: "PHY_GET_REPLY",
    46: "PHY_NTF",
}

HEADER = {
    1: "DEV_INDEX", 2: "DEV_NAME", 3: "FLAGS", 4: "PHY_INDEX",
}

BITSET_BIT = {
    1: "INDEX", 2: "NAME", 3: "VALUE",
}

BITSET_BITS = {
    1: "BIT",
}

BITSET = {
    1: "NOMASK", 2: "SIZE", 3: "BITS", 4: "VALUE", 5: "MASK",
}

STRING = {
    1: "INDEX", 2: "VALUE",
}

STRINGS = {
    1: "STRING",
}

STRINGSET = {
    1: "ID", 2: "COUNT", 3: "STRINGS",
}

STRINGSETS = {
    1: "STRINGSET",
}

STRSET = {
    1: "HEADER", 2: "STRINGSETS", 3: "COUNTS_ONLY",
}

LINKINFO = {
    1: "HEADER", 2: "PORT", 3: "PHYADDR", 4: "TP_MDIX", 5: "TP_MDIX_CTRL", 6: "TRANSCEIVER",
}

LINKMODES = {
    1: "HEADER", 2: "AUTONEG", 3: "OURS", 4: "PEER", 5: "SPEED", 6: "DUPLEX",
    7: "MASTER_SLAVE_CFG", 8: "MASTER_SLAVE_STATE", 9: "LANES", 10: "RATE_MATCHING",
}

LINKSTATE = {
    1: "HEADER", 2: "LINK", 3: "SQI", 4: "SQI_MAX", 5: "EXT_STATE", 6: "EXT_SUBSTATE",
    7: "EXT_DOWN_CNT",
}

DEBUG = {
    1: "HEADER", 2: "MSGMASK",
}

WOL = {
    1: "HEADER", 2: "MODES", 3: "SOPASS",
}

FEATURES = {
    1: "HEADER", 2: "HW", 3: "WANTED", 4: "ACTIVE", 5: "NOCHANGE",
}

PRIVFLAGS = {
    1: "HEADER", 2: "FLAGS",
}

RINGS = {
    1: "HEADER", 2: "RX_MAX", 3: "RX_MINI_MAX", 4: "RX_JUMBO_MAX", 5: "TX_MAX", 6: "RX",
    7: "RX_MINI", 8: "RX_JUMBO", 9: "TX", 10: "RX_BUF_LEN", 11: "TCP_DATA_SPLIT",
    12: "CQE_SIZE", 13: "TX_PUSH", 14: "RX_PUSH", 15: "TX_PUSH_BUF_LEN",
    16: "TX_PUSH_BUF_LEN_MAX",
}

CHANNELS = {
    1: "HEADER", 2: "RX_MAX", 3: "TX_MAX", 4: "OTHER_MAX", 5: "COMBINED_MAX", 6: "RX_COUNT",
    7: "TX_COUNT", 8: "OTHER_COUNT", 9: "COMBINED_COUNT",
}

COALESCE = {
    1: "HEADER", 2: "RX_USECS", 3: "RX_MAX_FRAMES", 4: "RX_USECS_IRQ",
    5: "RX_MAX_FRAMES_IRQ", 6: "TX_USECS", 7: "TX_MAX_FRAMES", 8: "TX_USECS_IRQ",
    9: "TX_MAX_FRAMES_IRQ", 10: "STATS_BLOCK_USECS", 11: "USE_ADAPTIVE_RX",
    12: "USE_ADAPTIVE_TX", 13: "PKT_RATE_LOW", 14: "RX_USECS_LOW", 15: "RX_MAX_FRAMES_LOW",
    16: "TX_USECS_LOW", 17: "TX_MAX_FRAMES_LOW", 18: "PKT_RATE_HIGH", 19: "RX_USECS_HIGH",
    20: "RX_MAX_FRAMES_HIGH", 21: "TX_USECS_HIGH", 22: "TX_MAX_FRAMES_HIGH",
    23: "RATE_SAMPLE_INTERVAL", 24: "USE_CQE_MODE_TX", 25: "USE_CQE_MODE_RX",
    26: "TX_AGGR_MAX_BYTES", 27: "TX_AGGR_MAX_FRAMES", 28: "TX_AGGR_TIME_USECS",
    29: "RX_PROFILE", 30: "TX_PROFILE",
}

PROFILE = {
    1: "IRQ_MODERATION",
}

IRQ_MODERATION = {
    1: "USEC", 2: "PKTS", 3: "COMPS",
}

PAUSE = {
    1: "HEADER", 2: "AUTONEG", 3: "RX", 4: "TX", 5: "STATS", 6: "STATS_SRC",
}

PAUSE_STAT = {
    1: "PAD", 2: "TX_FRAMES", 3: "RX_FRAMES",
}

EEE = {
    1: "HEADER", 2: "MODES_OURS", 3: "MODES_PEER", 4: "ACTIVE", 5: "ENABLED",
    6: "TX_LPI_ENABLED", 7: "TX_LPI_TIMER",
}

TSINFO = {
    1: "HEADER", 2: "TIMESTAMPING", 3: "TX_TYPES", 4: "RX_FILTERS", 5: "PHC_INDEX",
    6: "STATS",
}

TS_STAT = {
    1: "TX_PKTS", 2: "TX_LOST", 3: "TX_ERR",
}

PHC_VCLOCKS = {
    1: "HEADER", 2: "NUM", 3: "INDEX",
}

CABLE_TEST = {
    1: "HEADER",
}

CABLE_TEST_NTF = {
    1: "HEADER", 2: "STATUS", 3: "NEST",
}

CABLE_TEST_TDR = {
    1: "HEADER", 2: "CFG",
}

CABLE_TEST_TDR_NTF = {
    1: "HEADER", 2: "STATUS", 3: "NEST",
}

TUNNEL_INFO = {
    1: "HEADER", 2: "UDP_PORTS",
}

TUNNEL_UDP = {
    1: "TABLE",
}

TUNNEL_UDP_TABLE = {
    1: "SIZE", 2: "TYPES", 3: "ENTRY",
}

TUNNEL_UDP_ENTRY = {
    1: "PORT", 2: "TYPE",
}

FEC = {
    1: "HEADER", 2: "MODES", 3: "AUTO", 4: "ACTIVE", 5: "STATS",
}

FEC_STAT = {
    1: "PAD", 2: "CORRECTED", 3: "UNCORR", 4: "CORR_BITS",
}

MODULE_EEPROM = {
    1: "HEADER", 2: "OFFSET", 3: "LENGTH", 4: "PAGE", 5: "BANK", 6: "I2C_ADDRESS",
    7: "DATA",
}

STATS = {
    1: "PAD", 2: "HEADER", 3: "GROUPS", 4: "GRP", 5: "SRC",
}

STATS_GRP = {
    1: "PAD", 2: "ID", 3: "SS_ID", 4: "STAT", 5: "HIST_RX", 6: "HIST_TX", 7: "HIST_BKT_LOW",
    8: "HIST_BKT_HI", 9: "HIST_VAL",
}

MODULE = {
    1: "HEADER", 2: "POWER_MODE_POLICY", 3: "POWER_MODE",
}

PSE = {
    1: "PSE_HEADER", 2: "PODL_PSE_ADMIN_STATE", 3: "PODL_PSE_ADMIN_CONTROL",
    4: "PODL_PSE_PW_D_STATUS", 5: "C33_PSE_ADMIN_STATE", 6: "C33_PSE_ADMIN_CONTROL",
    7: "C33_PSE_PW_D_STATUS", 8: "C33_PSE_PW_CLASS", 9: "C33_PSE_ACTUAL_PW",
    10: "C33_PSE_EXT_STATE", 11: "C33_PSE_EXT_SUBSTATE", 12: "C33_PSE_AVAIL_PW_LIMIT",
    13: "C33_PSE_PW_LIMIT_RANGES",
}

RSS = {
    1: "HEADER", 2: "CONTEXT", 3: "HFUNC", 4: "INDIR", 5: "HKEY", 6: "INPUT_XFRM",
    7: "START_CONTEXT",
}

PLCA = {
    1: "HEADER", 2: "VERSION", 3: "ENABLED", 4: "STATUS", 5: "NODE_CNT", 6: "NODE_ID",
    7: "TO_TMR", 8: "BURST_CNT", 9: "BURST_TMR",
}

MM = {
    1: "HEADER", 2: "PMAC_ENABLED", 3: "TX_ENABLED", 4: "TX_ACTIVE", 5: "TX_MIN_FRAG_SIZE",
    6: "RX_MIN_FRAG_SIZE", 7: "VERIFY_ENABLED", 8: "VERIFY_STATUS", 9: "VERIFY_TIME",
    10: "MAX_VERIFY_TIME", 11: "STATS",
}

MM_STAT = {
    1: "PAD", 2: "REASSEMBLY_ERRORS", 3: "SMD_ERRORS", 4: "REASSEMBLY_OK",
    5: "RX_FRAG_COUNT", 6: "TX_FRAG_COUNT", 7: "HOLD_COUNT",
}

MODULE_FW_FLASH = {
    1: "HEADER", 2: "FILE_NAME", 3: "PASSWORD", 4: "STATUS", 5: "STATUS_MSG", 6: "DONE",
    7: "TOTAL",
}

PHY = {
    1: "HEADER", 2: "INDEX", 3: "DRVNAME", 4: "NAME", 5: "UPSTREAM_TYPE",
    6: "UPSTREAM_INDEX", 7: "UPSTREAM_SFP_NAME", 8: "DOWNSTREAM_SFP_NAME",
}

# -- values (linux/ethtool.h, linux/ethtool_netlink.h) -------------------------------------
HEADER_FLAGS = {1: "COMPACT_BITSETS", 2: "OMIT_REPLY", 4: "STATS"}
PORTS = {0x00: "TP", 0x01: "AUI", 0x02: "MII", 0x03: "FIBRE", 0x04: "BNC", 0x05: "DA",
         0xef: "NONE", 0xff: "OTHER"}
DUPLEX = {0x00: "HALF", 0x01: "FULL", 0xff: "UNKNOWN"}
XCVR = {0x00: "INTERNAL", 0x01: "EXTERNAL"}
TP_MDI = {0x00: "INVALID", 0x01: "MDI", 0x02: "MDI_X", 0x03: "AUTO"}
AUTONEG = {0: "OFF", 1: "ON"}
TCP_DATA_SPLIT = {0: "UNKNOWN", 1: "DISABLED", 2: "ENABLED"}
STATS_SRC = {0: "AGGREGATE", 1: "EMAC", 2: "PMAC"}
UDP_TUNNEL_TYPES = {0: "VXLAN", 1: "GENEVE", 2: "VXLAN_GPE"}


def _speed(v: int) -> str:
    return "unknown" if v in (0xFFFFFFFF, 0) else f"{v} Mb/s"


def _set(name: str, table: dict[int, str], kinds: dict, default: str = "binary") -> AttrSet:
    return table_set("ethtool-" + name.lower(), f"ETHTOOL_A_{name}_", table, kinds, default)


HEADER_SET = _set("HEADER", HEADER, {"DEV_INDEX": "u32", "DEV_NAME": "string",
                                     "FLAGS": K("u32", flags=HEADER_FLAGS), "PHY_INDEX": "u32"})
HDR = K("nested", nested=HEADER_SET)
BIT_SET = _set("BITSET_BIT", BITSET_BIT, {"INDEX": "u32", "NAME": "string", "VALUE": "flag"})
BITS_SET = _set("BITSET_BITS", BITSET_BITS, {"BIT": K("nested", nested=BIT_SET)})
BITSET_SET = _set("BITSET", BITSET, {"NOMASK": "flag", "SIZE": "u32",
                                     "BITS": K("nested", nested=BITS_SET)})
BITS = K("nested", nested=BITSET_SET)

STRING_SET = _set("STRING", STRING, {"INDEX": "u32", "VALUE": "string"})
STRINGS_SET = _set("STRINGS", STRINGS, {"STRING": K("nested", nested=STRING_SET)})
STRINGSET_SET = _set("STRINGSET", STRINGSET, {"ID": "u32", "COUNT": "u32",
                                              "STRINGS": K("nested", nested=STRINGS_SET)})
STRINGSETS_SET = _set("STRINGSETS", STRINGSETS, {"STRINGSET": K("nested", nested=STRINGSET_SET)})
IRQ_MOD_SET = _set("IRQ_MODERATION", IRQ_MODERATION, {"USEC": "u32", "PKTS": "u32", "COMPS": "u32"})
PROFILE_SET = _set("PROFILE", PROFILE, {"IRQ_MODERATION": K("nested", nested=IRQ_MOD_SET)})
U64_STATS = "u64"

SETS: dict[str, AttrSet] = {
    "STRSET": _set("STRSET", STRSET, {"HEADER": HDR, "STRINGSETS": K("nested", nested=STRINGSETS_SET),
                                      "COUNTS_ONLY": "flag"}),
    "LINKINFO": _set("LINKINFO", LINKINFO, {
        "HEADER": HDR, "PORT": K("u8", enum=PORTS), "PHYADDR": "u8", "TP_MDIX": K("u8", enum=TP_MDI),
        "TP_MDIX_CTRL": K("u8", enum=TP_MDI), "TRANSCEIVER": K("u8", enum=XCVR)}),
    "LINKMODES": _set("LINKMODES", LINKMODES, {
        "HEADER": HDR, "AUTONEG": K("u8", enum=AUTONEG), "OURS": BITS, "PEER": BITS,
        "SPEED": K("u32", fmt=_speed), "DUPLEX": K("u8", enum=DUPLEX), "MASTER_SLAVE_CFG": "u8",
        "MASTER_SLAVE_STATE": "u8", "LANES": "u32", "RATE_MATCHING": "u8"}),
    "LINKSTATE": _set("LINKSTATE", LINKSTATE, {
        "HEADER": HDR, "LINK": "u8", "SQI": "u32", "SQI_MAX": "u32", "EXT_STATE": "u8",
        "EXT_SUBSTATE": "u8", "EXT_DOWN_CNT": "u32"}),
    "DEBUG": _set("DEBUG", DEBUG, {"HEADER": HDR, "MSGMASK": BITS}),
    "WOL": _set("WOL", WOL, {"HEADER": HDR, "MODES": BITS}),
    "FEATURES": _set("FEATURES", FEATURES, {"HEADER": HDR, "HW": BITS, "WANTED": BITS,
                                            "ACTIVE": BITS, "NOCHANGE": BITS}),
    "PRIVFLAGS": _set("PRIVFLAGS", PRIVFLAGS, {"HEADER": HDR, "FLAGS": BITS}),
    "RINGS": _set("RINGS", RINGS, {"HEADER": HDR, "TCP_DATA_SPLIT": K("u8", enum=TCP_DATA_SPLIT),
                                   "TX_PUSH": "u8", "RX_PUSH": "u8"}, default="u32"),
    "CHANNELS": _set("CHANNELS", CHANNELS, {"HEADER": HDR}, default="u32"),
    "COALESCE": _set("COALESCE", COALESCE, {
        "HEADER": HDR, "USE_ADAPTIVE_RX": "u8", "USE_ADAPTIVE_TX": "u8", "USE_CQE_MODE_TX": "u8",
        "USE_CQE_MODE_RX": "u8", "RX_PROFILE": K("nested-array", nested=PROFILE_SET),
        "TX_PROFILE": K("nested-array", nested=PROFILE_SET)}, default="u32"),
    "PAUSE": _set("PAUSE", PAUSE, {
        "HEADER": HDR, "AUTONEG": "u8", "RX": "u8", "TX": "u8",
        "STATS": K("nested", nested=_set("PAUSE_STAT", PAUSE_STAT, {
            "TX_FRAMES": U64_STATS, "RX_FRAMES": U64_STATS})),
        "STATS_SRC": K("u32", enum=STATS_SRC)}),
    "EEE": _set("EEE", EEE, {"HEADER": HDR, "MODES_OURS": BITS, "MODES_PEER": BITS, "ACTIVE": "u8",
                             "ENABLED": "u8", "TX_LPI_ENABLED": "u8", "TX_LPI_TIMER": "u32"}),
    "TSINFO": _set("TSINFO", TSINFO, {
        "HEADER": HDR, "TIMESTAMPING": BITS, "TX_TYPES": BITS, "RX_FILTERS": BITS,
        "PHC_INDEX": "u32", "STATS": K("nested", nested=_set("TS_STAT", TS_STAT, {}, default="uint"))}),
    "CABLE_TEST": _set("CABLE_TEST", CABLE_TEST, {"HEADER": HDR}),
    "CABLE_TEST_NTF": _set("CABLE_TEST_NTF", CABLE_TEST_NTF, {"HEADER": HDR, "STATUS": "u8"}),
    "CABLE_TEST_TDR": _set("CABLE_TEST_TDR", CABLE_TEST_TDR, {"HEADER": HDR}),
    "CABLE_TEST_TDR_NTF": _set("CABLE_TEST_TDR_NTF", CABLE_TEST_TDR_NTF, {"HEADER": HDR, "STATUS": "u8"}),
    "TUNNEL_INFO": _set("TUNNEL_INFO", TUNNEL_INFO, {
        "HEADER": HDR, "UDP_PORTS": K("nested", nested=_set("TUNNEL_UDP", TUNNEL_UDP, {
            "TABLE": K("nested", nested=_set("TUNNEL_UDP_TABLE", TUNNEL_UDP_TABLE, {
                "SIZE": "u32", "TYPES": BITS, "ENTRY": K("nested", nested=_set(
                    "TUNNEL_UDP_ENTRY", TUNNEL_UDP_ENTRY, {
                        "PORT": "be16", "TYPE": K("u32", enum=UDP_TUNNEL_TYPES)}))}))}))}),
    "FEC": _set("FEC", FEC, {"HEADER": HDR, "MODES": BITS, "AUTO": "u8", "ACTIVE": "u32",
                             "STATS": K("nested", nested=_set("FEC_STAT", FEC_STAT, {}))}),
    "MODULE_EEPROM": _set("MODULE_EEPROM", MODULE_EEPROM, {
        "HEADER": HDR, "OFFSET": "u32", "LENGTH": "u32", "PAGE": "u8", "BANK": "u8",
        "I2C_ADDRESS": "u8"}),
    "STATS": _set("STATS", STATS, {
        "HEADER": HDR, "GROUPS": BITS, "SRC": K("u32", enum=STATS_SRC),
        "GRP": K("nested", nested=_set("STATS_GRP", STATS_GRP, {
            "ID": "u32", "SS_ID": "u32", "HIST_BKT_LOW": "u32", "HIST_BKT_HI": "u32",
            "HIST_VAL": "u64"}))}),
    "PHC_VCLOCKS": _set("PHC_VCLOCKS", PHC_VCLOCKS, {"HEADER": HDR, "NUM": "u32"}),
    "MODULE": _set("MODULE", MODULE, {"HEADER": HDR, "POWER_MODE_POLICY": "u8", "POWER_MODE": "u8"}),
    "PSE": table_set("ethtool-pse", "ETHTOOL_A_", PSE, {
        "PSE_HEADER": HDR, "PODL_PSE_ADMIN_STATE": "u32", "PODL_PSE_ADMIN_CONTROL": "u32",
        "PODL_PSE_PW_D_STATUS": "u32", "C33_PSE_ADMIN_STATE": "u32", "C33_PSE_ADMIN_CONTROL": "u32",
        "C33_PSE_PW_D_STATUS": "u32", "C33_PSE_PW_CLASS": "u32", "C33_PSE_ACTUAL_PW": "u32",
        "C33_PSE_EXT_STATE": "u32", "C33_PSE_AVAIL_PW_LIMIT": "u32"}),
    "RSS": _set("RSS", RSS, {"HEADER": HDR, "CONTEXT": "u32", "HFUNC": "u32",
                             "INPUT_XFRM": "u32", "START_CONTEXT": "u32"}),
    "PLCA": _set("PLCA", PLCA, {"HEADER": HDR, "ENABLED": "u8", "STATUS": "u8"}, default="u32"),
    "MM": _set("MM", MM, {"HEADER": HDR, "PMAC_ENABLED": "u8", "TX_ENABLED": "u8", "TX_ACTIVE": "u8",
                          "VERIFY_ENABLED": "u8", "VERIFY_STATUS": "u8",
                          "STATS": K("nested", nested=_set("MM_STAT", MM_STAT, {}, default="u64"))},
                 default="u32"),
    "MODULE_FW_FLASH": _set("MODULE_FW_FLASH", MODULE_FW_FLASH, {
        "HEADER": HDR, "FILE_NAME": "string", "PASSWORD": "u32", "STATUS": "u32",
        "STATUS_MSG": "string", "DONE": "uint", "TOTAL": "uint"}),
    "PHY": _set("PHY", PHY, {"HEADER": HDR, "INDEX": "u32", "DRVNAME": "string", "NAME": "string",
                             "UPSTREAM_TYPE": "u32", "UPSTREAM_INDEX": "u32",
                             "UPSTREAM_SFP_NAME": "string", "DOWNSTREAM_SFP_NAME": "string"}),
}
# The PAD members of the stats nests are padding for 64-bit values: keep them named.


def _space(cmd: str) -> str:
    """The attribute space of a message name: LINKINFO_GET_REPLY -> LINKINFO."""
    for suffix in ("_GET_REPLY", "_SET_REPLY", "_GET_CFG_REPLY", "_GET_STATUS_REPLY", "_GET_CFG",
                   "_SET_CFG", "_GET_STATUS", "_GET", "_SET", "_ACT", "_NTF"):
        if cmd.endswith(suffix):
            return cmd[: -len(suffix)]
    return cmd


CMD_ATTRS = {name: SETS[_space(name)] for name in (*CMDS.values(), *REPLIES.values())
             if _space(name) in SETS}
# The TDR notification shares the TDR space's number range with its own names.
CMD_ATTRS["CABLE_TEST_NTF"] = SETS["CABLE_TEST_NTF"]
CMD_ATTRS["CABLE_TEST_TDR_NTF"] = SETS["CABLE_TEST_TDR_NTF"]


# -- summaries -----------------------------------------------------------------------------

def _dev(attrs: list[Field]) -> str | None:
    for f in attrs:
        if f.name.endswith("_HEADER") and f.children is not None:
            h = {c.name: c for c in f.children}
            name = h.get("ETHTOOL_A_HEADER_DEV_NAME")
            if name is not None:
                return name.value
            idx = h.get("ETHTOOL_A_HEADER_DEV_INDEX")
            if idx is not None:
                return f"ifindex {idx.value}"
    return None


def bitset_text(f: Field) -> str:
    """A bitset nest in a few words: compact ('27 of 64 set') or verbose ('on a,b off c'),
    for a request without a mask (NOMASK absent) the bits listed are the ones changed."""
    kids = {c.name: c for c in f.children or ()}
    bits = kids.get("ETHTOOL_A_BITSET_BITS")
    if bits is not None and bits.children:
        nomask = "ETHTOOL_A_BITSET_NOMASK" in kids
        on, off = [], []
        for b in bits.children:
            name = b.get("ETHTOOL_A_BITSET_BIT_NAME")
            idx = b.get("ETHTOOL_A_BITSET_BIT_INDEX")
            label = name.value if name is not None else (str(idx.value) if idx is not None else "?")
            (on if b.get("ETHTOOL_A_BITSET_BIT_VALUE") is not None or nomask else off).append(label)
        return join(f"on {','.join(on)}" if on else None, f"off {','.join(off)}" if off else None)
    value = kids.get("ETHTOOL_A_BITSET_VALUE")
    size = kids.get("ETHTOOL_A_BITSET_SIZE")
    if value is not None and value.kind == "bytes":
        n = sum(bin(b).count("1") for b in value.value)
        return f"{n} of {size.value} set" if size is not None else f"{n} set"
    return ""


def summary(cmd: str, fields: list[Field]) -> str:
    attrs = attrs_of(fields)
    a = {f.name.split("_A_", 1)[-1]: f for f in attrs}
    dev = _dev(attrs)
    space = _space(cmd)
    parts: list[str | None] = [dev]
    if space == "LINKMODES":
        sp, du, an = a.get("LINKMODES_SPEED"), a.get("LINKMODES_DUPLEX"), a.get("LINKMODES_AUTONEG")
        parts += [f"speed {sp.short()}" if sp else None, f"duplex {du.short().lower()}" if du else None,
                  f"autoneg {an.short().lower()}" if an else None]
    elif space == "LINKINFO":
        port = a.get("LINKINFO_PORT")
        parts.append(f"port {port.short()}" if port else None)
    elif space == "LINKSTATE":
        link = a.get("LINKSTATE_LINK")
        parts.append(f"link {'up' if link.value else 'down'}" if link else None)
    elif space in ("FEATURES", "PRIVFLAGS", "WOL", "DEBUG"):
        for key in ("FEATURES_WANTED", "FEATURES_ACTIVE", "PRIVFLAGS_FLAGS", "WOL_MODES", "DEBUG_MSGMASK"):
            f = a.get(key)
            if f is not None:
                text = bitset_text(f)
                parts.append(f"{key.split('_', 1)[1].lower()} {text}" if text else None)
    elif space == "CHANNELS":
        for k in ("RX_COUNT", "TX_COUNT", "OTHER_COUNT", "COMBINED_COUNT"):
            f = a.get("CHANNELS_" + k)
            if f is not None:
                parts.append(f"{k.split('_')[0].lower()} {f.value}")
    elif space == "RINGS":
        for k in ("RX", "TX"):
            f = a.get("RINGS_" + k)
            if f is not None:
                parts.append(f"{k.lower()} {f.value}")
    elif space == "STRSET":
        sets = a.get("STRSET_STRINGSETS")
        n = child_count(sets) if sets is not None else 0
        parts.append(f"{n} string set{'s' if n != 1 else ''}" if sets is not None else None)
    elif space == "PAUSE":
        for k in ("AUTONEG", "RX", "TX"):
            f = a.get("PAUSE_" + k)
            if f is not None:
                parts.append(f"{k.lower()} {'on' if f.value else 'off'}")
    elif space == "EEE":
        f = a.get("EEE_ENABLED")
        parts.append(f"eee {'on' if f.value else 'off'}" if f is not None else None)
    return join(*parts)


def register(registry) -> None:
    add_family(registry, GenlFamily("ethtool", CMDS, replies=REPLIES, cmd_attrs=CMD_ATTRS,
                                    summary=summary))
