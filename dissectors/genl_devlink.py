"""devlink (generic netlink family "devlink"), linux/devlink.h: every command and every
DEVLINK_ATTR_* named and typed (the header's type comments, net/devlink for the enums
and the dynamic PARAM_VALUE_DATA); nests reuse the top-level attribute space except
STATS, TRAP_METADATA, PORT_FUNCTION and SELFTESTS, which have their own.
"""
from __future__ import annotations

import struct

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, decode_attr

from .genl import GenlFamily, K, add_family, attrs_of, join, table_set

CMDS = {
    1: "GET", 2: "SET", 3: "NEW", 4: "DEL", 5: "PORT_GET", 6: "PORT_SET", 7: "PORT_NEW",
    8: "PORT_DEL", 9: "PORT_SPLIT", 10: "PORT_UNSPLIT", 11: "SB_GET", 12: "SB_SET",
    13: "SB_NEW", 14: "SB_DEL", 15: "SB_POOL_GET", 16: "SB_POOL_SET", 17: "SB_POOL_NEW",
    18: "SB_POOL_DEL", 19: "SB_PORT_POOL_GET", 20: "SB_PORT_POOL_SET",
    21: "SB_PORT_POOL_NEW", 22: "SB_PORT_POOL_DEL", 23: "SB_TC_POOL_BIND_GET",
    24: "SB_TC_POOL_BIND_SET", 25: "SB_TC_POOL_BIND_NEW", 26: "SB_TC_POOL_BIND_DEL",
    27: "SB_OCC_SNAPSHOT", 28: "SB_OCC_MAX_CLEAR", 29: "ESWITCH_GET", 30: "ESWITCH_SET",
    31: "DPIPE_TABLE_GET", 32: "DPIPE_ENTRIES_GET", 33: "DPIPE_HEADERS_GET",
    34: "DPIPE_TABLE_COUNTERS_SET", 35: "RESOURCE_SET", 36: "RESOURCE_DUMP", 37: "RELOAD",
    38: "PARAM_GET", 39: "PARAM_SET", 40: "PARAM_NEW", 41: "PARAM_DEL", 42: "REGION_GET",
    43: "REGION_SET", 44: "REGION_NEW", 45: "REGION_DEL", 46: "REGION_READ",
    47: "PORT_PARAM_GET", 48: "PORT_PARAM_SET", 49: "PORT_PARAM_NEW", 50: "PORT_PARAM_DEL",
    51: "INFO_GET", 52: "HEALTH_REPORTER_GET", 53: "HEALTH_REPORTER_SET",
    54: "HEALTH_REPORTER_RECOVER", 55: "HEALTH_REPORTER_DIAGNOSE",
    56: "HEALTH_REPORTER_DUMP_GET", 57: "HEALTH_REPORTER_DUMP_CLEAR", 58: "FLASH_UPDATE",
    59: "FLASH_UPDATE_END", 60: "FLASH_UPDATE_STATUS", 61: "TRAP_GET", 62: "TRAP_SET",
    63: "TRAP_NEW", 64: "TRAP_DEL", 65: "TRAP_GROUP_GET", 66: "TRAP_GROUP_SET",
    67: "TRAP_GROUP_NEW", 68: "TRAP_GROUP_DEL", 69: "TRAP_POLICER_GET",
    70: "TRAP_POLICER_SET", 71: "TRAP_POLICER_NEW", 72: "TRAP_POLICER_DEL",
    73: "HEALTH_REPORTER_TEST", 74: "RATE_GET", 75: "RATE_SET", 76: "RATE_NEW",
    77: "RATE_DEL", 78: "LINECARD_GET", 79: "LINECARD_SET", 80: "LINECARD_NEW",
    81: "LINECARD_DEL", 82: "SELFTESTS_GET", 83: "SELFTESTS_RUN", 84: "NOTIFY_FILTER_SET",
}

ATTR_NAMES = {
    1: "BUS_NAME", 2: "DEV_NAME", 3: "PORT_INDEX", 4: "PORT_TYPE", 5: "PORT_DESIRED_TYPE",
    6: "PORT_NETDEV_IFINDEX", 7: "PORT_NETDEV_NAME", 8: "PORT_IBDEV_NAME",
    9: "PORT_SPLIT_COUNT", 10: "PORT_SPLIT_GROUP", 11: "SB_INDEX", 12: "SB_SIZE",
    13: "SB_INGRESS_POOL_COUNT", 14: "SB_EGRESS_POOL_COUNT", 15: "SB_INGRESS_TC_COUNT",
    16: "SB_EGRESS_TC_COUNT", 17: "SB_POOL_INDEX", 18: "SB_POOL_TYPE", 19: "SB_POOL_SIZE",
    20: "SB_POOL_THRESHOLD_TYPE", 21: "SB_THRESHOLD", 22: "SB_TC_INDEX", 23: "SB_OCC_CUR",
    24: "SB_OCC_MAX", 25: "ESWITCH_MODE", 26: "ESWITCH_INLINE_MODE", 27: "DPIPE_TABLES",
    28: "DPIPE_TABLE", 29: "DPIPE_TABLE_NAME", 30: "DPIPE_TABLE_SIZE",
    31: "DPIPE_TABLE_MATCHES", 32: "DPIPE_TABLE_ACTIONS",
    33: "DPIPE_TABLE_COUNTERS_ENABLED", 34: "DPIPE_ENTRIES", 35: "DPIPE_ENTRY",
    36: "DPIPE_ENTRY_INDEX", 37: "DPIPE_ENTRY_MATCH_VALUES",
    38: "DPIPE_ENTRY_ACTION_VALUES", 39: "DPIPE_ENTRY_COUNTER", 40: "DPIPE_MATCH",
    41: "DPIPE_MATCH_VALUE", 42: "DPIPE_MATCH_TYPE", 43: "DPIPE_ACTION",
    44: "DPIPE_ACTION_VALUE", 45: "DPIPE_ACTION_TYPE", 46: "DPIPE_VALUE",
    47: "DPIPE_VALUE_MASK", 48: "DPIPE_VALUE_MAPPING", 49: "DPIPE_HEADERS",
    50: "DPIPE_HEADER", 51: "DPIPE_HEADER_NAME", 52: "DPIPE_HEADER_ID",
    53: "DPIPE_HEADER_FIELDS", 54: "DPIPE_HEADER_GLOBAL", 55: "DPIPE_HEADER_INDEX",
    56: "DPIPE_FIELD", 57: "DPIPE_FIELD_NAME", 58: "DPIPE_FIELD_ID",
    59: "DPIPE_FIELD_BITWIDTH", 60: "DPIPE_FIELD_MAPPING_TYPE", 61: "PAD",
    62: "ESWITCH_ENCAP_MODE", 63: "RESOURCE_LIST", 64: "RESOURCE", 65: "RESOURCE_NAME",
    66: "RESOURCE_ID", 67: "RESOURCE_SIZE", 68: "RESOURCE_SIZE_NEW",
    69: "RESOURCE_SIZE_VALID", 70: "RESOURCE_SIZE_MIN", 71: "RESOURCE_SIZE_MAX",
    72: "RESOURCE_SIZE_GRAN", 73: "RESOURCE_UNIT", 74: "RESOURCE_OCC",
    75: "DPIPE_TABLE_RESOURCE_ID", 76: "DPIPE_TABLE_RESOURCE_UNITS", 77: "PORT_FLAVOUR",
    78: "PORT_NUMBER", 79: "PORT_SPLIT_SUBPORT_NUMBER", 80: "PARAM", 81: "PARAM_NAME",
    82: "PARAM_GENERIC", 83: "PARAM_TYPE", 84: "PARAM_VALUES_LIST", 85: "PARAM_VALUE",
    86: "PARAM_VALUE_DATA", 87: "PARAM_VALUE_CMODE", 88: "REGION_NAME", 89: "REGION_SIZE",
    90: "REGION_SNAPSHOTS", 91: "REGION_SNAPSHOT", 92: "REGION_SNAPSHOT_ID",
    93: "REGION_CHUNKS", 94: "REGION_CHUNK", 95: "REGION_CHUNK_DATA",
    96: "REGION_CHUNK_ADDR", 97: "REGION_CHUNK_LEN", 98: "INFO_DRIVER_NAME",
    99: "INFO_SERIAL_NUMBER", 100: "INFO_VERSION_FIXED", 101: "INFO_VERSION_RUNNING",
    102: "INFO_VERSION_STORED", 103: "INFO_VERSION_NAME", 104: "INFO_VERSION_VALUE",
    105: "SB_POOL_CELL_SIZE", 106: "FMSG", 107: "FMSG_OBJ_NEST_START",
    108: "FMSG_PAIR_NEST_START", 109: "FMSG_ARR_NEST_START", 110: "FMSG_NEST_END",
    111: "FMSG_OBJ_NAME", 112: "FMSG_OBJ_VALUE_TYPE", 113: "FMSG_OBJ_VALUE_DATA",
    114: "HEALTH_REPORTER", 115: "HEALTH_REPORTER_NAME", 116: "HEALTH_REPORTER_STATE",
    117: "HEALTH_REPORTER_ERR_COUNT", 118: "HEALTH_REPORTER_RECOVER_COUNT",
    119: "HEALTH_REPORTER_DUMP_TS", 120: "HEALTH_REPORTER_GRACEFUL_PERIOD",
    121: "HEALTH_REPORTER_AUTO_RECOVER", 122: "FLASH_UPDATE_FILE_NAME",
    123: "FLASH_UPDATE_COMPONENT", 124: "FLASH_UPDATE_STATUS_MSG",
    125: "FLASH_UPDATE_STATUS_DONE", 126: "FLASH_UPDATE_STATUS_TOTAL",
    127: "PORT_PCI_PF_NUMBER", 128: "PORT_PCI_VF_NUMBER", 129: "STATS", 130: "TRAP_NAME",
    131: "TRAP_ACTION", 132: "TRAP_TYPE", 133: "TRAP_GENERIC", 134: "TRAP_METADATA",
    135: "TRAP_GROUP_NAME", 136: "RELOAD_FAILED", 137: "HEALTH_REPORTER_DUMP_TS_NS",
    138: "NETNS_FD", 139: "NETNS_PID", 140: "NETNS_ID", 141: "HEALTH_REPORTER_AUTO_DUMP",
    142: "TRAP_POLICER_ID", 143: "TRAP_POLICER_RATE", 144: "TRAP_POLICER_BURST",
    145: "PORT_FUNCTION", 146: "INFO_BOARD_SERIAL_NUMBER", 147: "PORT_LANES",
    148: "PORT_SPLITTABLE", 149: "PORT_EXTERNAL", 150: "PORT_CONTROLLER_NUMBER",
    151: "FLASH_UPDATE_STATUS_TIMEOUT", 152: "FLASH_UPDATE_OVERWRITE_MASK",
    153: "RELOAD_ACTION", 154: "RELOAD_ACTIONS_PERFORMED", 155: "RELOAD_LIMITS",
    156: "DEV_STATS", 157: "RELOAD_STATS", 158: "RELOAD_STATS_ENTRY",
    159: "RELOAD_STATS_LIMIT", 160: "RELOAD_STATS_VALUE", 161: "REMOTE_RELOAD_STATS",
    162: "RELOAD_ACTION_INFO", 163: "RELOAD_ACTION_STATS", 164: "PORT_PCI_SF_NUMBER",
    165: "RATE_TYPE", 166: "RATE_TX_SHARE", 167: "RATE_TX_MAX", 168: "RATE_NODE_NAME",
    169: "RATE_PARENT_NODE_NAME", 170: "REGION_MAX_SNAPSHOTS", 171: "LINECARD_INDEX",
    172: "LINECARD_STATE", 173: "LINECARD_TYPE", 174: "LINECARD_SUPPORTED_TYPES",
    175: "NESTED_DEVLINK", 176: "SELFTESTS", 177: "RATE_TX_PRIORITY", 178: "RATE_TX_WEIGHT",
    179: "REGION_DIRECT",
}

PORT_TYPE = {
    0: "NOTSET", 1: "AUTO", 2: "ETH", 3: "IB",
}

PORT_FLAVOUR = {
    0: "PHYSICAL", 1: "CPU", 2: "DSA", 3: "PCI_PF", 4: "PCI_VF", 5: "VIRTUAL", 6: "UNUSED",
    7: "PCI_SF",
}

ESWITCH_MODE = {
    0: "LEGACY", 1: "SWITCHDEV",
}

RELOAD_ACTIONS = {1: "DRIVER_REINIT", 2: "FW_ACTIVATE"}
RELOAD_LIMITS = {0: "UNSPEC", 1: "NO_RESET"}
PARAM_CMODES = {0: "RUNTIME", 1: "DRIVERINIT", 2: "PERMANENT"}
# DEVLINK_ATTR_PARAM_TYPE carries the kernel's NLA_* type of the value
# (net/devlink/param.c devlink_param_type_to_nla_type): it decides PARAM_VALUE_DATA.
PARAM_TYPES = {1: "U8", 2: "U16", 3: "U32", 4: "U64", 5: "STRING", 6: "BOOL"}
PARAM_DATA_KINDS = {1: "u8", 2: "u16", 3: "u32", 4: "u64", 5: "string", 6: "flag"}
TRAP_ACTIONS = {0: "DROP", 1: "TRAP", 2: "MIRROR"}
TRAP_TYPES = {0: "DROP", 1: "EXCEPTION", 2: "CONTROL"}
HEALTH_STATES = {0: "HEALTHY", 1: "ERROR"}  # enum devlink_health_reporter_state (net/devlink.h)
RESOURCE_UNITS = {0: "ENTRY"}
ESWITCH_INLINE_MODES = {0: "NONE", 1: "LINK", 2: "NETWORK", 3: "TRANSPORT"}
ESWITCH_ENCAP_MODES = {0: "NONE", 1: "BASIC"}
SB_POOL_TYPES = {0: "INGRESS", 1: "EGRESS"}
SB_THRESHOLD_TYPES = {0: "STATIC", 1: "DYNAMIC"}
RATE_TYPES = {0: "LEAF", 1: "NODE"}
LINECARD_STATES = {0: "UNSPEC", 1: "UNPROVISIONED", 2: "UNPROVISIONING", 3: "PROVISIONING",
                   4: "PROVISIONING_FAILED", 5: "PROVISIONED", 6: "ACTIVE"}
PORT_FN_STATES = {0: "INACTIVE", 1: "ACTIVE"}
PORT_FN_OPSTATES = {0: "DETACHED", 1: "ATTACHED"}
PORT_FN_CAPS = {1: "ROCE", 2: "MIGRATABLE", 4: "IPSEC_CRYPTO", 8: "IPSEC_PACKET"}
FLASH_OVERWRITE = {1: "SETTINGS", 2: "IDENTIFIERS"}
RELOAD_ACTION_BITS = {1 << a: n for a, n in RELOAD_ACTIONS.items()}

# Nests with an attribute space of their own (everything else reuses the top level).
STATS = AttrSet("devlink-stats", {
    0: Attr("DEVLINK_ATTR_STATS_RX_PACKETS", "u64"), 1: Attr("DEVLINK_ATTR_STATS_RX_BYTES", "u64"),
    2: Attr("DEVLINK_ATTR_STATS_RX_DROPPED", "u64")})
TRAP_METADATA = AttrSet("devlink-trap-metadata", {
    0: Attr("DEVLINK_ATTR_TRAP_METADATA_TYPE_IN_PORT", "flag"),
    1: Attr("DEVLINK_ATTR_TRAP_METADATA_TYPE_FA_COOKIE", "flag")})
SELFTESTS = AttrSet("devlink-selftests", {1: Attr("DEVLINK_ATTR_SELFTEST_ID_FLASH", "flag")})


def _attrs(siblings: list[Field]) -> AttrSet:
    """The table of a devlink nest: the top-level attribute space. The engine calls a
    nested table as nested(siblings decoded so far); in a PARAM nest, the PARAM_TYPE
    decoded before PARAM_VALUES_LIST decides the layout of the PARAM_VALUE_DATA
    attributes inside it."""
    for f in siblings:
        if f.name == "DEVLINK_ATTR_PARAM_TYPE":
            return PARAM_SETS.get(f.value, ATTRS)
    return ATTRS


def _port_function(siblings: list[Field]) -> AttrSet:
    return PORT_FUNCTION


def _param_data(name, buf, start, end, order, problems, path, siblings) -> Field:
    """PARAM_VALUE_DATA beside a PARAM_TYPE (a PARAM_SET request): typed by it."""
    ptype = next((f.value for f in siblings if f.name == "DEVLINK_ATTR_PARAM_TYPE"), None)
    aset = DATA_SETS.get(ptype, DATA_SETS[None])
    raw_type = struct.unpack_from(order + "H", buf, start + 2)[0]
    return decode_attr(buf, start, end, raw_type, aset, order, problems, path[:len(path) - len(name)],
                       siblings)


NEST = K("nested", nested=_attrs)
ATTRS = table_set("devlink", "DEVLINK_ATTR_", ATTR_NAMES, {
    "BUS_NAME": "string", "DEV_NAME": "string", "PORT_INDEX": "u32",
    "PORT_TYPE": K("u16", enum=PORT_TYPE), "PORT_DESIRED_TYPE": K("u16", enum=PORT_TYPE),
    "PORT_NETDEV_IFINDEX": "u32", "PORT_NETDEV_NAME": "string", "PORT_IBDEV_NAME": "string",
    "PORT_SPLIT_COUNT": "u32", "PORT_SPLIT_GROUP": "u32", "SB_INDEX": "u32", "SB_SIZE": "u32",
    "SB_INGRESS_POOL_COUNT": "u16", "SB_EGRESS_POOL_COUNT": "u16", "SB_INGRESS_TC_COUNT": "u16",
    "SB_EGRESS_TC_COUNT": "u16", "SB_POOL_INDEX": "u16", "SB_POOL_TYPE": K("u8", enum=SB_POOL_TYPES),
    "SB_POOL_SIZE": "u32", "SB_POOL_THRESHOLD_TYPE": K("u8", enum=SB_THRESHOLD_TYPES),
    "SB_THRESHOLD": "u32", "SB_TC_INDEX": "u16", "SB_OCC_CUR": "u32", "SB_OCC_MAX": "u32",
    "ESWITCH_MODE": K("u16", enum=ESWITCH_MODE),
    "ESWITCH_INLINE_MODE": K("u8", enum=ESWITCH_INLINE_MODES),
    "DPIPE_TABLES": NEST, "DPIPE_TABLE": NEST, "DPIPE_TABLE_NAME": "string",
    "DPIPE_TABLE_SIZE": "u64", "DPIPE_TABLE_MATCHES": NEST, "DPIPE_TABLE_ACTIONS": NEST,
    "DPIPE_TABLE_COUNTERS_ENABLED": "u8", "DPIPE_ENTRIES": NEST, "DPIPE_ENTRY": NEST,
    "DPIPE_ENTRY_INDEX": "u64", "DPIPE_ENTRY_MATCH_VALUES": NEST,
    "DPIPE_ENTRY_ACTION_VALUES": NEST, "DPIPE_ENTRY_COUNTER": "u64", "DPIPE_MATCH": NEST,
    "DPIPE_MATCH_VALUE": NEST, "DPIPE_MATCH_TYPE": "u32", "DPIPE_ACTION": NEST,
    "DPIPE_ACTION_VALUE": NEST, "DPIPE_ACTION_TYPE": "u32", "DPIPE_VALUE_MAPPING": "u32",
    "DPIPE_HEADERS": NEST, "DPIPE_HEADER": NEST, "DPIPE_HEADER_NAME": "string",
    "DPIPE_HEADER_ID": "u32", "DPIPE_HEADER_FIELDS": NEST, "DPIPE_HEADER_GLOBAL": "u8",
    "DPIPE_HEADER_INDEX": "u32", "DPIPE_FIELD": NEST, "DPIPE_FIELD_NAME": "string",
    "DPIPE_FIELD_ID": "u32", "DPIPE_FIELD_BITWIDTH": "u32", "DPIPE_FIELD_MAPPING_TYPE": "u32",
    "ESWITCH_ENCAP_MODE": K("u8", enum=ESWITCH_ENCAP_MODES), "RESOURCE_LIST": NEST,
    "RESOURCE": NEST, "RESOURCE_NAME": "string", "RESOURCE_ID": "u64", "RESOURCE_SIZE": "u64",
    "RESOURCE_SIZE_NEW": "u64", "RESOURCE_SIZE_VALID": "u8", "RESOURCE_SIZE_MIN": "u64",
    "RESOURCE_SIZE_MAX": "u64", "RESOURCE_SIZE_GRAN": "u64",
    "RESOURCE_UNIT": K("u8", enum=RESOURCE_UNITS), "RESOURCE_OCC": "u64",
    "DPIPE_TABLE_RESOURCE_ID": "u64", "DPIPE_TABLE_RESOURCE_UNITS": "u64",
    "PORT_FLAVOUR": K("u16", enum=PORT_FLAVOUR), "PORT_NUMBER": "u32",
    "PORT_SPLIT_SUBPORT_NUMBER": "u32", "PARAM": NEST, "PARAM_NAME": "string",
    "PARAM_GENERIC": "flag", "PARAM_TYPE": K("u8", enum=PARAM_TYPES), "PARAM_VALUES_LIST": NEST,
    "PARAM_VALUE": NEST, "PARAM_VALUE_DATA": K("custom", decode=_param_data),
    "PARAM_VALUE_CMODE": K("u8", enum=PARAM_CMODES),
    "REGION_NAME": "string", "REGION_SIZE": "u64", "REGION_SNAPSHOTS": NEST,
    "REGION_SNAPSHOT": NEST, "REGION_SNAPSHOT_ID": "u32", "REGION_CHUNKS": NEST,
    "REGION_CHUNK": NEST, "REGION_CHUNK_ADDR": "u64", "REGION_CHUNK_LEN": "u64",
    "INFO_DRIVER_NAME": "string", "INFO_SERIAL_NUMBER": "string", "INFO_VERSION_FIXED": NEST,
    "INFO_VERSION_RUNNING": NEST, "INFO_VERSION_STORED": NEST, "INFO_VERSION_NAME": "string",
    "INFO_VERSION_VALUE": "string", "SB_POOL_CELL_SIZE": "u32", "FMSG": NEST,
    "FMSG_OBJ_NEST_START": "flag", "FMSG_PAIR_NEST_START": "flag", "FMSG_ARR_NEST_START": "flag",
    "FMSG_NEST_END": "flag", "FMSG_OBJ_NAME": "string", "FMSG_OBJ_VALUE_TYPE": "u8",
    "HEALTH_REPORTER": NEST, "HEALTH_REPORTER_NAME": "string",
    "HEALTH_REPORTER_STATE": K("u8", enum=HEALTH_STATES),
    "HEALTH_REPORTER_ERR_COUNT": "u64", "HEALTH_REPORTER_RECOVER_COUNT": "u64",
    "HEALTH_REPORTER_DUMP_TS": "u64", "HEALTH_REPORTER_GRACEFUL_PERIOD": "u64",
    "HEALTH_REPORTER_AUTO_RECOVER": "u8",
    "FLASH_UPDATE_FILE_NAME": "string", "FLASH_UPDATE_COMPONENT": "string",
    "FLASH_UPDATE_STATUS_MSG": "string", "FLASH_UPDATE_STATUS_DONE": "u64",
    "FLASH_UPDATE_STATUS_TOTAL": "u64", "PORT_PCI_PF_NUMBER": "u16", "PORT_PCI_VF_NUMBER": "u16",
    "STATS": K("nested", nested=STATS), "TRAP_NAME": "string",
    "TRAP_ACTION": K("u8", enum=TRAP_ACTIONS), "TRAP_TYPE": K("u8", enum=TRAP_TYPES),
    "TRAP_GENERIC": "flag", "TRAP_METADATA": K("nested", nested=TRAP_METADATA),
    "TRAP_GROUP_NAME": "string", "RELOAD_FAILED": "u8", "HEALTH_REPORTER_DUMP_TS_NS": "u64",
    "NETNS_FD": "u32", "NETNS_PID": "u32", "NETNS_ID": "u32", "HEALTH_REPORTER_AUTO_DUMP": "u8",
    "TRAP_POLICER_ID": "u32", "TRAP_POLICER_RATE": "u64", "TRAP_POLICER_BURST": "u64",
    "PORT_FUNCTION": K("nested", nested=_port_function),
    "INFO_BOARD_SERIAL_NUMBER": "string", "PORT_LANES": "u32", "PORT_SPLITTABLE": "u8",
    "PORT_EXTERNAL": "u8", "PORT_CONTROLLER_NUMBER": "u32",
    "FLASH_UPDATE_STATUS_TIMEOUT": "u64",
    "FLASH_UPDATE_OVERWRITE_MASK": K("bitfield32", flags=FLASH_OVERWRITE),
    "RELOAD_ACTION": K("u8", enum=RELOAD_ACTIONS),
    "RELOAD_ACTIONS_PERFORMED": K("bitfield32", flags=RELOAD_ACTION_BITS),
    "RELOAD_LIMITS": K("bitfield32", flags={1 << b: n for b, n in RELOAD_LIMITS.items()}),
    "DEV_STATS": NEST, "RELOAD_STATS": NEST,
    "RELOAD_STATS_ENTRY": NEST, "RELOAD_STATS_LIMIT": K("u8", enum=RELOAD_LIMITS),
    "RELOAD_STATS_VALUE": "u32", "REMOTE_RELOAD_STATS": NEST, "RELOAD_ACTION_INFO": NEST,
    "RELOAD_ACTION_STATS": NEST, "PORT_PCI_SF_NUMBER": "u32",
    "RATE_TYPE": K("u16", enum=RATE_TYPES), "RATE_TX_SHARE": "u64",
    "RATE_TX_MAX": "u64", "RATE_NODE_NAME": "string", "RATE_PARENT_NODE_NAME": "string",
    "REGION_MAX_SNAPSHOTS": "u32", "LINECARD_INDEX": "u32",
    "LINECARD_STATE": K("u8", enum=LINECARD_STATES), "LINECARD_TYPE": "string",
    "LINECARD_SUPPORTED_TYPES": NEST, "NESTED_DEVLINK": NEST,
    "SELFTESTS": K("nested", nested=SELFTESTS), "RATE_TX_PRIORITY": "u32",
    "RATE_TX_WEIGHT": "u32", "REGION_DIRECT": "flag",
})
PORT_FUNCTION = AttrSet("devlink-port-function", {
    1: Attr("DEVLINK_PORT_FUNCTION_ATTR_HW_ADDR", "mac"),
    2: Attr("DEVLINK_PORT_FN_ATTR_STATE", "u8", enum=PORT_FN_STATES),
    3: Attr("DEVLINK_PORT_FN_ATTR_OPSTATE", "u8", enum=PORT_FN_OPSTATES),
    4: Attr("DEVLINK_PORT_FN_ATTR_CAPS", "bitfield32", flags=PORT_FN_CAPS),
    5: Attr("DEVLINK_PORT_FN_ATTR_DEVLINK", "nested", nested=ATTRS),
    6: Attr("DEVLINK_PORT_FN_ATTR_MAX_IO_EQS", "u32")})
_DATA = "DEVLINK_ATTR_PARAM_VALUE_DATA"
DATA_SETS: dict[int | None, AttrSet] = {
    t: AttrSet(f"devlink-param-data-{k}", {86: Attr(_DATA, k)}) for t, k in PARAM_DATA_KINDS.items()}
DATA_SETS[None] = AttrSet("devlink-param-data", {86: Attr(_DATA, "binary")})


def _param_set(t: int) -> AttrSet:
    """The table of a PARAM_VALUES_LIST after a PARAM_TYPE t: its PARAM_VALUE nests
    hold a PARAM_VALUE_DATA of that type's layout."""
    value = AttrSet(f"devlink-param-value-{t}", {**ATTRS.attrs, 86: DATA_SETS[t].attrs[86]})
    return AttrSet(f"devlink-param-values-{t}", {
        **ATTRS.attrs, 85: Attr("DEVLINK_ATTR_PARAM_VALUE", "nested", nested=value)})


PARAM_SETS = {t: _param_set(t) for t in PARAM_DATA_KINDS}


def summary(cmd: str, fields: list[Field]) -> str:
    a = {f.name: f for f in attrs_of(fields)}
    bus, dev = a.get("DEVLINK_ATTR_BUS_NAME"), a.get("DEVLINK_ATTR_DEV_NAME")
    handle = f"{bus.value}/{dev.value}" if bus is not None and dev is not None else None
    port = a.get("DEVLINK_ATTR_PORT_INDEX")
    netdev = a.get("DEVLINK_ATTR_PORT_NETDEV_NAME")
    drv = a.get("DEVLINK_ATTR_INFO_DRIVER_NAME")
    mode = a.get("DEVLINK_ATTR_ESWITCH_MODE")
    param = a.get("DEVLINK_ATTR_PARAM_NAME")
    return join(f"{handle}/{port.value}" if handle and port is not None else handle,
                f"netdev {netdev.value}" if netdev is not None else None,
                f"driver {drv.value}" if drv is not None else None,
                f"mode {mode.short().lower()}" if mode is not None else None,
                f"param {param.value}" if param is not None else None)


def register(registry) -> None:
    add_family(registry, GenlFamily("devlink", CMDS, attrs=ATTRS, summary=summary))
