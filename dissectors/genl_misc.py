"""Other generic netlink families, by the name the kernel registers: commands named
(from each family's UAPI header, 6.12); attributes show as UNKNOWN(n) unless a
dedicated module (genl_<family>.py) or a YNL spec describes them. A family here without
attribute tables takes the kernel's spec of its name from the spec search path when one
is installed (netdev, dpll, handshake, nfsd, ovs_* with linux-source-6.12; see
nlscope.decode.ynl.SpecFiller); without kernel sources it keeps its command names.

Open vSwitch families carry struct ovs_header (dp_ifindex) after genlmsghdr; VFS_DQUOT
has the fixed id GENL_ID_VFS_DQUOT (0x11). Event enums that reuse command numbers on
multicast groups (thermal, mptcp) are not told apart from replies: commands win.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.nla import FixedHeader
from nlscope.decode.ynl import SpecFiller

from .genl import FILL_KEY, GenlFamily, add_family, family_map

FAMILY_COMMANDS: dict[str, dict[int, str]] = {
    "thermal": {
        1: "TZ_GET_ID", 2: "TZ_GET_TRIP", 3: "TZ_GET_TEMP", 4: "TZ_GET_GOV", 5: "TZ_GET_MODE",
        6: "CDEV_GET",
    },
    "ovs_datapath": {
        1: "NEW", 2: "DEL", 3: "GET", 4: "SET",
    },
    "ovs_vport": {
        1: "NEW", 2: "DEL", 3: "GET", 4: "SET",
    },
    "ovs_flow": {
        1: "NEW", 2: "DEL", 3: "GET", 4: "SET",
    },
    "ovs_packet": {
        1: "MISS", 2: "ACTION", 3: "EXECUTE",
    },
    "ovs_meter": {
        1: "FEATURES", 2: "SET", 3: "DEL", 4: "GET",
    },
    "ovs_ct_limit": {
        1: "SET", 2: "DEL", 3: "GET",
    },
    "NET_DM": {
        1: "ALERT", 2: "CONFIG", 3: "START", 4: "STOP", 5: "PACKET_ALERT", 6: "CONFIG_GET",
        7: "CONFIG_NEW", 8: "STATS_GET", 9: "STATS_NEW",
    },
    "netdev": {
        1: "DEV_GET", 2: "DEV_ADD_NTF", 3: "DEV_DEL_NTF", 4: "DEV_CHANGE_NTF",
        5: "PAGE_POOL_GET", 6: "PAGE_POOL_ADD_NTF", 7: "PAGE_POOL_DEL_NTF",
        8: "PAGE_POOL_CHANGE_NTF", 9: "PAGE_POOL_STATS_GET", 10: "QUEUE_GET", 11: "NAPI_GET",
        12: "QSTATS_GET", 13: "BIND_RX",
    },
    "handshake": {
        1: "READY", 2: "ACCEPT", 3: "DONE",
    },
    "nfsd": {
        1: "RPC_STATUS_GET", 2: "THREADS_SET", 3: "THREADS_GET", 4: "VERSION_SET",
        5: "VERSION_GET", 6: "LISTENER_SET", 7: "LISTENER_GET", 8: "POOL_MODE_SET",
        9: "POOL_MODE_GET",
    },
    "psample": {
        0: "SAMPLE", 1: "GET_GROUP", 2: "NEW_GROUP", 3: "DEL_GROUP",
    },
    "team": {
        0: "NOOP", 1: "OPTIONS_SET", 2: "OPTIONS_GET", 3: "PORT_LIST_GET",
    },
    "gtp": {
        0: "NEWPDP", 1: "DELPDP", 2: "GETPDP", 3: "ECHOREQ", 4: "MAX",
    },
    "batadv": {
        1: "GET_MESH", 2: "TP_METER", 3: "TP_METER_CANCEL", 4: "GET_ROUTING_ALGOS",
        5: "GET_HARDIF", 6: "GET_TRANSTABLE_LOCAL", 7: "GET_TRANSTABLE_GLOBAL",
        8: "GET_ORIGINATORS", 9: "GET_NEIGHBORS", 10: "GET_GATEWAYS", 11: "GET_BLA_CLAIM",
        12: "GET_BLA_BACKBONE", 13: "GET_DAT_CACHE", 14: "GET_MCAST_FLAGS", 15: "SET_MESH",
        16: "SET_HARDIF", 17: "GET_VLAN", 18: "SET_VLAN",
    },
    "nbd": {
        1: "CONNECT", 2: "DISCONNECT", 3: "RECONFIGURE", 4: "LINK_DEAD", 5: "STATUS",
    },
    "NCSI": {
        1: "PKG_INFO", 2: "SET_INTERFACE", 3: "CLEAR_INTERFACE", 4: "SEND_CMD",
        5: "SET_PACKAGE_MASK", 6: "SET_CHANNEL_MASK",
    },
    "vdpa": {
        1: "MGMTDEV_NEW", 2: "MGMTDEV_GET", 3: "DEV_NEW", 4: "DEV_DEL", 5: "DEV_GET",
        6: "DEV_CONFIG_GET", 7: "DEV_VSTATS_GET", 8: "DEV_ATTR_SET",
    },
    "dpll": {
        1: "DEVICE_ID_GET", 2: "DEVICE_GET", 3: "DEVICE_SET", 4: "DEVICE_CREATE_NTF",
        5: "DEVICE_DELETE_NTF", 6: "DEVICE_CHANGE_NTF", 7: "PIN_ID_GET", 8: "PIN_GET",
        9: "PIN_SET", 10: "PIN_CREATE_NTF", 11: "PIN_DELETE_NTF", 12: "PIN_CHANGE_NTF",
    },
    "HSR": {
        1: "RING_ERROR", 2: "NODE_DOWN", 3: "GET_NODE_STATUS", 4: "SET_NODE_STATUS",
        5: "GET_NODE_LIST", 6: "SET_NODE_LIST",
    },
    "nfc": {
        1: "GET_DEVICE", 2: "DEV_UP", 3: "DEV_DOWN", 4: "DEP_LINK_UP", 5: "DEP_LINK_DOWN",
        6: "START_POLL", 7: "STOP_POLL", 8: "GET_TARGET", 15: "LLC_GET_PARAMS",
        16: "LLC_SET_PARAMS", 17: "ENABLE_SE", 18: "DISABLE_SE", 19: "LLC_SDREQ",
        21: "FW_DOWNLOAD", 26: "GET_SE", 27: "SE_IO", 28: "ACTIVATE_TARGET", 29: "VENDOR",
        30: "DEACTIVATE_TARGET",
    },
    "IPVS": {
        1: "NEW_SERVICE", 2: "SET_SERVICE", 3: "DEL_SERVICE", 4: "GET_SERVICE", 5: "NEW_DEST",
        6: "SET_DEST", 7: "DEL_DEST", 8: "GET_DEST", 9: "NEW_DAEMON", 10: "DEL_DAEMON",
        11: "GET_DAEMON", 12: "SET_CONFIG", 13: "GET_CONFIG", 14: "SET_INFO", 15: "GET_INFO",
        16: "ZERO", 17: "FLUSH",
    },
    "SMC_GEN_NETLINK": {
        1: "GET_SYS_INFO", 2: "GET_LGR_SMCR", 3: "GET_LINK_SMCR", 4: "GET_LGR_SMCD",
        5: "GET_DEV_SMCD", 6: "GET_DEV_SMCR", 7: "GET_STATS", 8: "GET_FBACK_STATS",
        9: "DUMP_UEID", 10: "ADD_UEID", 11: "REMOVE_UEID", 12: "FLUSH_UEID", 13: "DUMP_SEID",
        14: "ENABLE_SEID", 15: "DISABLE_SEID", 16: "DUMP_HS_LIMITATION",
        17: "ENABLE_HS_LIMITATION", 18: "DISABLE_HS_LIMITATION",
    },
    "SMC_PNETID": {
        1: "NAME", 2: "ETHNAME", 3: "IBNAME", 4: "IBPORT",
    },
    "VFS_DQUOT": {
        1: "WARNING",
    },
}

OVS_HEADER = FixedHeader("ovs_header", cs.Struct("dp_ifindex" / cs.Int32sn))
FIXED_IDS = {"VFS_DQUOT": 0x11}


def register(registry) -> None:
    # families without tables take the kernel's YNL spec when its sources are installed
    registry.extras.setdefault(FILL_KEY, SpecFiller(registry))
    known = family_map(registry)
    for name, cmds in FAMILY_COMMANDS.items():
        if name in known:  # a dedicated module (or a spec) already describes it
            continue
        add_family(registry, GenlFamily(
            name, cmds, header=OVS_HEADER if name.startswith("ovs_") else None,
            fixed_id=FIXED_IDS.get(name)))
