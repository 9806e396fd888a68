"""rtnetlink links: struct ifinfomsg and the IFLA_* attributes (linux/if_link.h,
linux/if.h, linux/if_arp.h, linux/if_bridge.h, linux/veth.h, linux/if_tunnel.h,
linux/ip.h, linux/ipv6.h, linux/snmp.h), including IFLA_LINKINFO data per kind and
IFLA_AF_SPEC per family. Also RTM_*LINKPROP (same layout) and RTM_*STATS
(struct if_stats_msg, IFLA_STATS_*).
"""
from __future__ import annotations

from construct import Bytes, Int8un, Int16ub, Int16un, Int32sn, Int32un, Int64un, Padding, Struct

from nlscope.decode.model import Field
from nlscope.decode.nla import AttrSet, FixedHeader, ip_text, walk_attrs

from .rtnl_common import (AF_BRIDGE, AF_INET, AF_INET6, AF_NAMES, AF_SHORT, ETH_P, RTEXT_FILTER, A,
                          View, counters, dump_line, family_of, flag_or_u8, hdr,
                          header_then_attrs, is_dump_request, message, named_array)

# -- ifinfomsg ---------------------------------------------------------------------------
IFF = {1: "IFF_UP", 2: "IFF_BROADCAST", 4: "IFF_DEBUG", 8: "IFF_LOOPBACK", 16: "IFF_POINTOPOINT",
       32: "IFF_NOTRAILERS", 64: "IFF_RUNNING", 128: "IFF_NOARP", 256: "IFF_PROMISC",
       512: "IFF_ALLMULTI", 1024: "IFF_MASTER", 2048: "IFF_SLAVE", 4096: "IFF_MULTICAST",
       8192: "IFF_PORTSEL", 16384: "IFF_AUTOMEDIA", 32768: "IFF_DYNAMIC", 65536: "IFF_LOWER_UP",
       131072: "IFF_DORMANT", 262144: "IFF_ECHO"}
ARPHRD = {
    0: "ARPHRD_NETROM", 1: "ARPHRD_ETHER", 2: "ARPHRD_EETHER", 3: "ARPHRD_AX25", 4: "ARPHRD_PRONET",
    5: "ARPHRD_CHAOS", 6: "ARPHRD_IEEE802", 7: "ARPHRD_ARCNET", 8: "ARPHRD_APPLETLK",
    15: "ARPHRD_DLCI", 19: "ARPHRD_ATM", 23: "ARPHRD_METRICOM", 24: "ARPHRD_IEEE1394",
    27: "ARPHRD_EUI64", 32: "ARPHRD_INFINIBAND", 256: "ARPHRD_SLIP", 257: "ARPHRD_CSLIP",
    258: "ARPHRD_SLIP6", 259: "ARPHRD_CSLIP6", 260: "ARPHRD_RSRVD", 264: "ARPHRD_ADAPT",
    270: "ARPHRD_ROSE", 271: "ARPHRD_X25", 272: "ARPHRD_HWX25", 280: "ARPHRD_CAN",
    290: "ARPHRD_MCTP", 512: "ARPHRD_PPP", 513: "ARPHRD_CISCO", 516: "ARPHRD_LAPB",
    517: "ARPHRD_DDCMP", 518: "ARPHRD_RAWHDLC", 519: "ARPHRD_RAWIP", 768: "ARPHRD_TUNNEL",
    769: "ARPHRD_TUNNEL6", 770: "ARPHRD_FRAD", 771: "ARPHRD_SKIP", 772: "ARPHRD_LOOPBACK",
    773: "ARPHRD_LOCALTLK", 774: "ARPHRD_FDDI", 775: "ARPHRD_BIF", 776: "ARPHRD_SIT",
    777: "ARPHRD_IPDDP", 778: "ARPHRD_IPGRE", 779: "ARPHRD_PIMREG", 780: "ARPHRD_HIPPI",
    781: "ARPHRD_ASH", 782: "ARPHRD_ECONET", 783: "ARPHRD_IRDA", 784: "ARPHRD_FCPP",
    785: "ARPHRD_FCAL", 786: "ARPHRD_FCPL", 787: "ARPHRD_FCFABRIC", 800: "ARPHRD_IEEE802_TR",
    801: "ARPHRD_IEEE80211", 802: "ARPHRD_IEEE80211_PRISM", 803: "ARPHRD_IEEE80211_RADIOTAP",
    804: "ARPHRD_IEEE802154", 805: "ARPHRD_IEEE802154_MONITOR", 820: "ARPHRD_PHONET",
    821: "ARPHRD_PHONET_PIPE", 822: "ARPHRD_CAIF", 823: "ARPHRD_IP6GRE", 824: "ARPHRD_NETLINK",
    825: "ARPHRD_6LOWPAN", 826: "ARPHRD_VSOCKMON", 65534: "ARPHRD_NONE", 65535: "ARPHRD_VOID"}
IF_OPER = {0: "IF_OPER_UNKNOWN", 1: "IF_OPER_NOTPRESENT", 2: "IF_OPER_DOWN",
           3: "IF_OPER_LOWERLAYERDOWN", 4: "IF_OPER_TESTING", 5: "IF_OPER_DORMANT", 6: "IF_OPER_UP"}
IF_LINK_MODE = {0: "IF_LINK_MODE_DEFAULT", 1: "IF_LINK_MODE_DORMANT", 2: "IF_LINK_MODE_TESTING"}

IFINFOMSG = hdr("ifinfomsg", Struct(
    "ifi_family" / Int8un, Padding(1), "ifi_type" / Int16un, "ifi_index" / Int32sn,
    "ifi_flags" / Int32un, "ifi_change" / Int32un),
    enums={"ifi_family": AF_NAMES, "ifi_type": ARPHRD}, flags={"ifi_flags": IFF, "ifi_change": IFF})

# -- structs carried in attributes -------------------------------------------------------
LINK_STATS = ["rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
              "rx_dropped", "tx_dropped", "multicast", "collisions", "rx_length_errors",
              "rx_over_errors", "rx_crc_errors", "rx_frame_errors", "rx_fifo_errors",
              "rx_missed_errors", "tx_aborted_errors", "tx_carrier_errors", "tx_fifo_errors",
              "tx_heartbeat_errors", "tx_window_errors", "rx_compressed", "tx_compressed",
              "rx_nohandler", "rx_otherhost_dropped"]
HW_STATS = LINK_STATS[:9]  # struct rtnl_hw_stats64
IFMAP = hdr("rtnl_link_ifmap", Struct("mem_start" / Int64un, "mem_end" / Int64un,
                                      "base_addr" / Int64un, "irq" / Int16un, "dma" / Int8un,
                                      "port" / Int8un))
IFLA_CACHEINFO = hdr("ifla_cacheinfo", Struct("max_reasm_len" / Int32un, "tstamp" / Int32un,
                                              "reachable_time" / Int32un, "retrans_time" / Int32un))
BRIDGE_ID = hdr("ifla_bridge_id", Struct("prio" / Int16ub, "addr" / Bytes(6)), kinds={"addr": "mac"})

# -- IFLA_AF_SPEC: AF_INET and AF_INET6 (devconf arrays, statistics) --------------------
IPV4_DEVCONF = {
    1: "IPV4_DEVCONF_FORWARDING", 2: "IPV4_DEVCONF_MC_FORWARDING", 3: "IPV4_DEVCONF_PROXY_ARP",
    4: "IPV4_DEVCONF_ACCEPT_REDIRECTS", 5: "IPV4_DEVCONF_SECURE_REDIRECTS",
    6: "IPV4_DEVCONF_SEND_REDIRECTS", 7: "IPV4_DEVCONF_SHARED_MEDIA", 8: "IPV4_DEVCONF_RP_FILTER",
    9: "IPV4_DEVCONF_ACCEPT_SOURCE_ROUTE", 10: "IPV4_DEVCONF_BOOTP_RELAY",
    11: "IPV4_DEVCONF_LOG_MARTIANS", 12: "IPV4_DEVCONF_TAG", 13: "IPV4_DEVCONF_ARPFILTER",
    14: "IPV4_DEVCONF_MEDIUM_ID", 15: "IPV4_DEVCONF_NOXFRM", 16: "IPV4_DEVCONF_NOPOLICY",
    17: "IPV4_DEVCONF_FORCE_IGMP_VERSION", 18: "IPV4_DEVCONF_ARP_ANNOUNCE",
    19: "IPV4_DEVCONF_ARP_IGNORE", 20: "IPV4_DEVCONF_PROMOTE_SECONDARIES",
    21: "IPV4_DEVCONF_ARP_ACCEPT", 22: "IPV4_DEVCONF_ARP_NOTIFY", 23: "IPV4_DEVCONF_ACCEPT_LOCAL",
    24: "IPV4_DEVCONF_SRC_VMARK", 25: "IPV4_DEVCONF_PROXY_ARP_PVLAN",
    26: "IPV4_DEVCONF_ROUTE_LOCALNET", 27: "IPV4_DEVCONF_IGMPV2_UNSOLICITED_REPORT_INTERVAL",
    28: "IPV4_DEVCONF_IGMPV3_UNSOLICITED_REPORT_INTERVAL",
    29: "IPV4_DEVCONF_IGNORE_ROUTES_WITH_LINKDOWN", 30: "IPV4_DEVCONF_DROP_UNICAST_IN_L2_MULTICAST",
    31: "IPV4_DEVCONF_DROP_GRATUITOUS_ARP", 32: "IPV4_DEVCONF_BC_FORWARDING",
    33: "IPV4_DEVCONF_ARP_EVICT_NOCARRIER"}
DEVCONF = {
    0: "DEVCONF_FORWARDING", 1: "DEVCONF_HOPLIMIT", 2: "DEVCONF_MTU6", 3: "DEVCONF_ACCEPT_RA",
    4: "DEVCONF_ACCEPT_REDIRECTS", 5: "DEVCONF_AUTOCONF", 6: "DEVCONF_DAD_TRANSMITS",
    7: "DEVCONF_RTR_SOLICITS", 8: "DEVCONF_RTR_SOLICIT_INTERVAL", 9: "DEVCONF_RTR_SOLICIT_DELAY",
    10: "DEVCONF_USE_TEMPADDR", 11: "DEVCONF_TEMP_VALID_LFT", 12: "DEVCONF_TEMP_PREFERED_LFT",
    13: "DEVCONF_REGEN_MAX_RETRY", 14: "DEVCONF_MAX_DESYNC_FACTOR", 15: "DEVCONF_MAX_ADDRESSES",
    16: "DEVCONF_FORCE_MLD_VERSION", 17: "DEVCONF_ACCEPT_RA_DEFRTR", 18: "DEVCONF_ACCEPT_RA_PINFO",
    19: "DEVCONF_ACCEPT_RA_RTR_PREF", 20: "DEVCONF_RTR_PROBE_INTERVAL",
    21: "DEVCONF_ACCEPT_RA_RT_INFO_MAX_PLEN", 22: "DEVCONF_PROXY_NDP", 23: "DEVCONF_OPTIMISTIC_DAD",
    24: "DEVCONF_ACCEPT_SOURCE_ROUTE", 25: "DEVCONF_MC_FORWARDING", 26: "DEVCONF_DISABLE_IPV6",
    27: "DEVCONF_ACCEPT_DAD", 28: "DEVCONF_FORCE_TLLAO", 29: "DEVCONF_NDISC_NOTIFY",
    30: "DEVCONF_MLDV1_UNSOLICITED_REPORT_INTERVAL", 31: "DEVCONF_MLDV2_UNSOLICITED_REPORT_INTERVAL",
    32: "DEVCONF_SUPPRESS_FRAG_NDISC", 33: "DEVCONF_ACCEPT_RA_FROM_LOCAL",
    34: "DEVCONF_USE_OPTIMISTIC", 35: "DEVCONF_ACCEPT_RA_MTU", 36: "DEVCONF_STABLE_SECRET",
    37: "DEVCONF_USE_OIF_ADDRS_ONLY", 38: "DEVCONF_ACCEPT_RA_MIN_HOP_LIMIT",
    39: "DEVCONF_IGNORE_ROUTES_WITH_LINKDOWN", 40: "DEVCONF_DROP_UNICAST_IN_L2_MULTICAST",
    41: "DEVCONF_DROP_UNSOLICITED_NA", 42: "DEVCONF_KEEP_ADDR_ON_DOWN",
    43: "DEVCONF_RTR_SOLICIT_MAX_INTERVAL", 44: "DEVCONF_SEG6_ENABLED",
    45: "DEVCONF_SEG6_REQUIRE_HMAC", 46: "DEVCONF_ENHANCED_DAD", 47: "DEVCONF_ADDR_GEN_MODE",
    48: "DEVCONF_DISABLE_POLICY", 49: "DEVCONF_ACCEPT_RA_RT_INFO_MIN_PLEN",
    50: "DEVCONF_NDISC_TCLASS", 51: "DEVCONF_RPL_SEG_ENABLED", 52: "DEVCONF_RA_DEFRTR_METRIC",
    53: "DEVCONF_IOAM6_ENABLED", 54: "DEVCONF_IOAM6_ID", 55: "DEVCONF_IOAM6_ID_WIDE",
    56: "DEVCONF_NDISC_EVICT_NOCARRIER", 57: "DEVCONF_ACCEPT_UNTRACKED_NA",
    58: "DEVCONF_ACCEPT_RA_MIN_LFT"}
IPSTATS_MIB = {
    0: "IPSTATS_MIB_NUM", 1: "IPSTATS_MIB_INPKTS", 2: "IPSTATS_MIB_INOCTETS",
    3: "IPSTATS_MIB_INDELIVERS", 4: "IPSTATS_MIB_OUTFORWDATAGRAMS", 5: "IPSTATS_MIB_OUTREQUESTS",
    6: "IPSTATS_MIB_OUTOCTETS", 7: "IPSTATS_MIB_INHDRERRORS", 8: "IPSTATS_MIB_INTOOBIGERRORS",
    9: "IPSTATS_MIB_INNOROUTES", 10: "IPSTATS_MIB_INADDRERRORS", 11: "IPSTATS_MIB_INUNKNOWNPROTOS",
    12: "IPSTATS_MIB_INTRUNCATEDPKTS", 13: "IPSTATS_MIB_INDISCARDS", 14: "IPSTATS_MIB_OUTDISCARDS",
    15: "IPSTATS_MIB_OUTNOROUTES", 16: "IPSTATS_MIB_REASMTIMEOUT", 17: "IPSTATS_MIB_REASMREQDS",
    18: "IPSTATS_MIB_REASMOKS", 19: "IPSTATS_MIB_REASMFAILS", 20: "IPSTATS_MIB_FRAGOKS",
    21: "IPSTATS_MIB_FRAGFAILS", 22: "IPSTATS_MIB_FRAGCREATES", 23: "IPSTATS_MIB_INMCASTPKTS",
    24: "IPSTATS_MIB_OUTMCASTPKTS", 25: "IPSTATS_MIB_INBCASTPKTS", 26: "IPSTATS_MIB_OUTBCASTPKTS",
    27: "IPSTATS_MIB_INMCASTOCTETS", 28: "IPSTATS_MIB_OUTMCASTOCTETS",
    29: "IPSTATS_MIB_INBCASTOCTETS", 30: "IPSTATS_MIB_OUTBCASTOCTETS",
    31: "IPSTATS_MIB_CSUMERRORS", 32: "IPSTATS_MIB_NOECTPKTS", 33: "IPSTATS_MIB_ECT1PKTS",
    34: "IPSTATS_MIB_ECT0PKTS", 35: "IPSTATS_MIB_CEPKTS", 36: "IPSTATS_MIB_REASM_OVERLAPS",
    37: "IPSTATS_MIB_OUTPKTS"}
ICMP6_MIB = {0: "ICMP6_MIB_NUM", 1: "ICMP6_MIB_INMSGS", 2: "ICMP6_MIB_INERRORS",
             3: "ICMP6_MIB_OUTMSGS", 4: "ICMP6_MIB_OUTERRORS", 5: "ICMP6_MIB_CSUMERRORS",
             6: "ICMP6_MIB_RATELIMITHOST"}
IN6_ADDR_GEN_MODE = {0: "IN6_ADDR_GEN_MODE_EUI64", 1: "IN6_ADDR_GEN_MODE_NONE",
                     2: "IN6_ADDR_GEN_MODE_STABLE_PRIVACY", 3: "IN6_ADDR_GEN_MODE_RANDOM"}

IF_INET6_FLAGS = {0x10: "IF_RS_SENT", 0x20: "IF_RA_RCVD", 0x40: "IF_RA_MANAGED",
                  0x80: "IF_RA_OTHERCONF", 0x80000000: "IF_READY"}  # net/if_inet6.h
INET = AttrSet("ifla_inet", {
    # element i of the array is IPV4_DEVCONF_(i + 1)
    1: A("IFLA_INET_CONF", "custom", decode=named_array({k - 1: v for k, v in IPV4_DEVCONF.items()}, "I")),
})
INET6 = AttrSet("ifla_inet6", {
    1: A("IFLA_INET6_FLAGS", "u32", flags=IF_INET6_FLAGS),
    2: A("IFLA_INET6_CONF", "custom", decode=named_array(DEVCONF, "i")),
    3: A("IFLA_INET6_STATS", "custom", decode=named_array(IPSTATS_MIB, "Q")),
    4: A("IFLA_INET6_MCAST", "binary"),
    5: A("IFLA_INET6_CACHEINFO", "struct", struct=IFLA_CACHEINFO),
    6: A("IFLA_INET6_ICMP6STATS", "custom", decode=named_array(ICMP6_MIB, "Q")),
    7: A("IFLA_INET6_TOKEN", "ipv6"),
    8: A("IFLA_INET6_ADDR_GEN_MODE", "u8", enum=IN6_ADDR_GEN_MODE),
    9: A("IFLA_INET6_RA_MTU", "u32"),
})
MCTP = AttrSet("ifla_mctp", {1: A("IFLA_MCTP_NET", "u32")})

# -- AF_BRIDGE (bridge link/vlan messages): IFLA_AF_SPEC holds IFLA_BRIDGE_* ------------
BRIDGE_FLAGS = {1: "BRIDGE_FLAGS_MASTER", 2: "BRIDGE_FLAGS_SELF"}
BRIDGE_MODE = {0: "BRIDGE_MODE_VEB", 1: "BRIDGE_MODE_VEPA", 0xFFFF: "BRIDGE_MODE_UNDEF"}
BRIDGE_VLAN_INFO_F = {1: "BRIDGE_VLAN_INFO_MASTER", 2: "BRIDGE_VLAN_INFO_PVID",
                      4: "BRIDGE_VLAN_INFO_UNTAGGED", 8: "BRIDGE_VLAN_INFO_RANGE_BEGIN",
                      16: "BRIDGE_VLAN_INFO_RANGE_END", 32: "BRIDGE_VLAN_INFO_BRENTRY",
                      64: "BRIDGE_VLAN_INFO_ONLY_OPTS"}
BRIDGE_VLAN_INFO = hdr("bridge_vlan_info", Struct("flags" / Int16un, "vid" / Int16un),
                       flags={"flags": BRIDGE_VLAN_INFO_F})
BR_STATE = {0: "BR_STATE_DISABLED", 1: "BR_STATE_LISTENING", 2: "BR_STATE_LEARNING",
            3: "BR_STATE_FORWARDING", 4: "BR_STATE_BLOCKING"}
BRIDGE_VLAN_TUNNEL = AttrSet("ifla_bridge_vlan_tunnel", {
    1: A("IFLA_BRIDGE_VLAN_TUNNEL_ID", "u32"),
    2: A("IFLA_BRIDGE_VLAN_TUNNEL_VID", "u16"),
    3: A("IFLA_BRIDGE_VLAN_TUNNEL_FLAGS", "u16", flags=BRIDGE_VLAN_INFO_F),
})
BRIDGE_MST = AttrSet("ifla_bridge_mst", {
    1: A("IFLA_BRIDGE_MST_ENTRY", "nested", nested=AttrSet("ifla_bridge_mst_entry", {
        1: A("IFLA_BRIDGE_MST_ENTRY_MSTI", "u16"),
        2: A("IFLA_BRIDGE_MST_ENTRY_STATE", "u8", enum=BR_STATE)})),
})
BRIDGE_AF = AttrSet("ifla_bridge", {
    0: A("IFLA_BRIDGE_FLAGS", "u16", flags=BRIDGE_FLAGS),
    1: A("IFLA_BRIDGE_MODE", "u16", enum=BRIDGE_MODE),
    2: A("IFLA_BRIDGE_VLAN_INFO", "struct", struct=BRIDGE_VLAN_INFO),
    3: A("IFLA_BRIDGE_VLAN_TUNNEL_INFO", "nested", nested=BRIDGE_VLAN_TUNNEL),
    4: A("IFLA_BRIDGE_MRP", "nested"),
    5: A("IFLA_BRIDGE_CFM", "nested"),
    6: A("IFLA_BRIDGE_MST", "nested", nested=BRIDGE_MST),
})

# -- bridge port (IFLA_PROTINFO of AF_BRIDGE, and bridge_slave IFLA_INFO_SLAVE_DATA) ----
MDB_RTR_TYPE = {0: "MDB_RTR_TYPE_DISABLED", 1: "MDB_RTR_TYPE_TEMP_QUERY", 2: "MDB_RTR_TYPE_PERM",
                3: "MDB_RTR_TYPE_TEMP"}
BRPORT = AttrSet("ifla_brport", {
    1: A("IFLA_BRPORT_STATE", "u8", enum=BR_STATE),
    2: A("IFLA_BRPORT_PRIORITY", "u16"),
    3: A("IFLA_BRPORT_COST", "u32"),
    4: A("IFLA_BRPORT_MODE", "u8"),
    5: A("IFLA_BRPORT_GUARD", "u8"),
    6: A("IFLA_BRPORT_PROTECT", "u8"),
    7: A("IFLA_BRPORT_FAST_LEAVE", "u8"),
    8: A("IFLA_BRPORT_LEARNING", "u8"),
    9: A("IFLA_BRPORT_UNICAST_FLOOD", "u8"),
    10: A("IFLA_BRPORT_PROXYARP", "u8"),
    11: A("IFLA_BRPORT_LEARNING_SYNC", "u8"),
    12: A("IFLA_BRPORT_PROXYARP_WIFI", "u8"),
    13: A("IFLA_BRPORT_ROOT_ID", "struct", struct=BRIDGE_ID),
    14: A("IFLA_BRPORT_BRIDGE_ID", "struct", struct=BRIDGE_ID),
    15: A("IFLA_BRPORT_DESIGNATED_PORT", "u16"),
    16: A("IFLA_BRPORT_DESIGNATED_COST", "uint"),
    17: A("IFLA_BRPORT_ID", "u16"),
    18: A("IFLA_BRPORT_NO", "u16"),
    19: A("IFLA_BRPORT_TOPOLOGY_CHANGE_ACK", "u8"),
    20: A("IFLA_BRPORT_CONFIG_PENDING", "u8"),
    21: A("IFLA_BRPORT_MESSAGE_AGE_TIMER", "u64"),
    22: A("IFLA_BRPORT_FORWARD_DELAY_TIMER", "u64"),
    23: A("IFLA_BRPORT_HOLD_TIMER", "u64"),
    24: A("IFLA_BRPORT_FLUSH", "flag"),
    25: A("IFLA_BRPORT_MULTICAST_ROUTER", "u8", enum=MDB_RTR_TYPE),
    26: A("IFLA_BRPORT_PAD", "binary"),
    27: A("IFLA_BRPORT_MCAST_FLOOD", "u8"),
    28: A("IFLA_BRPORT_MCAST_TO_UCAST", "u8"),
    29: A("IFLA_BRPORT_VLAN_TUNNEL", "u8"),
    30: A("IFLA_BRPORT_BCAST_FLOOD", "u8"),
    31: A("IFLA_BRPORT_GROUP_FWD_MASK", "u16"),
    32: A("IFLA_BRPORT_NEIGH_SUPPRESS", "u8"),
    33: A("IFLA_BRPORT_ISOLATED", "u8"),
    34: A("IFLA_BRPORT_BACKUP_PORT", "u32"),
    35: A("IFLA_BRPORT_MRP_RING_OPEN", "u8"),
    36: A("IFLA_BRPORT_MRP_IN_OPEN", "u8"),
    37: A("IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT", "u32"),
    38: A("IFLA_BRPORT_MCAST_EHT_HOSTS_CNT", "u32"),
    39: A("IFLA_BRPORT_LOCKED", "u8"),
    40: A("IFLA_BRPORT_MAB", "u8"),
    41: A("IFLA_BRPORT_MCAST_N_GROUPS", "u32"),
    42: A("IFLA_BRPORT_MCAST_MAX_GROUPS", "u32"),
    43: A("IFLA_BRPORT_NEIGH_VLAN_SUPPRESS", "u8"),
    44: A("IFLA_BRPORT_BACKUP_NHID", "u32"),
})

# -- IFLA_INFO_DATA per kind -------------------------------------------------------------
BR_BOOLOPT = {1: "BR_BOOLOPT_NO_LL_LEARN", 2: "BR_BOOLOPT_MCAST_VLAN_SNOOPING",
              4: "BR_BOOLOPT_MST_ENABLE"}  # bit (1 << enum br_boolopt_id)
BR_BOOLOPT_MULTI = hdr("br_boolopt_multi", Struct("optval" / Int32un, "optmask" / Int32un),
                       flags={"optval": BR_BOOLOPT, "optmask": BR_BOOLOPT})
BRIDGE_QUERIER = AttrSet("bridge_querier", {
    1: A("BRIDGE_QUERIER_IP_ADDRESS", "ipv4"),
    2: A("BRIDGE_QUERIER_IP_PORT", "u32"),
    3: A("BRIDGE_QUERIER_IP_OTHER_TIMER", "u64"),
    4: A("BRIDGE_QUERIER_PAD", "binary"),
    5: A("BRIDGE_QUERIER_IPV6_ADDRESS", "ipv6"),
    6: A("BRIDGE_QUERIER_IPV6_PORT", "u32"),
    7: A("BRIDGE_QUERIER_IPV6_OTHER_TIMER", "u64"),
})
BRIDGE_INFO = AttrSet("ifla_br", {
    1: A("IFLA_BR_FORWARD_DELAY", "u32"),
    2: A("IFLA_BR_HELLO_TIME", "u32"),
    3: A("IFLA_BR_MAX_AGE", "u32"),
    4: A("IFLA_BR_AGEING_TIME", "u32"),
    5: A("IFLA_BR_STP_STATE", "u32"),
    6: A("IFLA_BR_PRIORITY", "u16"),
    7: A("IFLA_BR_VLAN_FILTERING", "u8"),
    8: A("IFLA_BR_VLAN_PROTOCOL", "be16", enum=ETH_P),
    9: A("IFLA_BR_GROUP_FWD_MASK", "u16"),
    10: A("IFLA_BR_ROOT_ID", "struct", struct=BRIDGE_ID),
    11: A("IFLA_BR_BRIDGE_ID", "struct", struct=BRIDGE_ID),
    12: A("IFLA_BR_ROOT_PORT", "u16"),
    13: A("IFLA_BR_ROOT_PATH_COST", "u32"),
    14: A("IFLA_BR_TOPOLOGY_CHANGE", "u8"),
    15: A("IFLA_BR_TOPOLOGY_CHANGE_DETECTED", "u8"),
    16: A("IFLA_BR_HELLO_TIMER", "u64"),
    17: A("IFLA_BR_TCN_TIMER", "u64"),
    18: A("IFLA_BR_TOPOLOGY_CHANGE_TIMER", "u64"),
    19: A("IFLA_BR_GC_TIMER", "u64"),
    20: A("IFLA_BR_GROUP_ADDR", "mac"),
    21: A("IFLA_BR_FDB_FLUSH", "flag"),
    22: A("IFLA_BR_MCAST_ROUTER", "u8", enum=MDB_RTR_TYPE),
    23: A("IFLA_BR_MCAST_SNOOPING", "u8"),
    24: A("IFLA_BR_MCAST_QUERY_USE_IFADDR", "u8"),
    25: A("IFLA_BR_MCAST_QUERIER", "u8"),
    26: A("IFLA_BR_MCAST_HASH_ELASTICITY", "u32"),
    27: A("IFLA_BR_MCAST_HASH_MAX", "u32"),
    28: A("IFLA_BR_MCAST_LAST_MEMBER_CNT", "u32"),
    29: A("IFLA_BR_MCAST_STARTUP_QUERY_CNT", "u32"),
    30: A("IFLA_BR_MCAST_LAST_MEMBER_INTVL", "u64"),
    31: A("IFLA_BR_MCAST_MEMBERSHIP_INTVL", "u64"),
    32: A("IFLA_BR_MCAST_QUERIER_INTVL", "u64"),
    33: A("IFLA_BR_MCAST_QUERY_INTVL", "u64"),
    34: A("IFLA_BR_MCAST_QUERY_RESPONSE_INTVL", "u64"),
    35: A("IFLA_BR_MCAST_STARTUP_QUERY_INTVL", "u64"),
    36: A("IFLA_BR_NF_CALL_IPTABLES", "u8"),
    37: A("IFLA_BR_NF_CALL_IP6TABLES", "u8"),
    38: A("IFLA_BR_NF_CALL_ARPTABLES", "u8"),
    39: A("IFLA_BR_VLAN_DEFAULT_PVID", "u16"),
    40: A("IFLA_BR_PAD", "binary"),
    41: A("IFLA_BR_VLAN_STATS_ENABLED", "u8"),
    42: A("IFLA_BR_MCAST_STATS_ENABLED", "u8"),
    43: A("IFLA_BR_MCAST_IGMP_VERSION", "u8"),
    44: A("IFLA_BR_MCAST_MLD_VERSION", "u8"),
    45: A("IFLA_BR_VLAN_STATS_PER_PORT", "u8"),
    46: A("IFLA_BR_MULTI_BOOLOPT", "struct", struct=BR_BOOLOPT_MULTI),
    47: A("IFLA_BR_MCAST_QUERIER_STATE", "nested", nested=BRIDGE_QUERIER),
    48: A("IFLA_BR_FDB_N_LEARNED", "u32"),
    49: A("IFLA_BR_FDB_MAX_LEARNED", "u32"),
})

VLAN_FLAG = {1: "VLAN_FLAG_REORDER_HDR", 2: "VLAN_FLAG_GVRP", 4: "VLAN_FLAG_LOOSE_BINDING",
             8: "VLAN_FLAG_MVRP", 16: "VLAN_FLAG_BRIDGE_BINDING"}
VLAN_QOS = AttrSet("ifla_vlan_qos", {
    1: A("IFLA_VLAN_QOS_MAPPING", "struct", struct=hdr("ifla_vlan_qos_mapping", Struct(
        "from" / Int32un, "to" / Int32un))),
})
VLAN_INFO = AttrSet("ifla_vlan", {
    1: A("IFLA_VLAN_ID", "u16"),
    2: A("IFLA_VLAN_FLAGS", "struct", struct=hdr("ifla_vlan_flags", Struct(
        "flags" / Int32un, "mask" / Int32un), flags={"flags": VLAN_FLAG, "mask": VLAN_FLAG})),
    3: A("IFLA_VLAN_EGRESS_QOS", "nested", nested=VLAN_QOS),
    4: A("IFLA_VLAN_INGRESS_QOS", "nested", nested=VLAN_QOS),
    5: A("IFLA_VLAN_PROTOCOL", "be16", enum=ETH_P),
})

VXLAN_DF = {0: "VXLAN_DF_UNSET", 1: "VXLAN_DF_SET", 2: "VXLAN_DF_INHERIT"}
VXLAN_INFO = AttrSet("ifla_vxlan", {
    1: A("IFLA_VXLAN_ID", "u32"),
    2: A("IFLA_VXLAN_GROUP", "ipv4"),
    3: A("IFLA_VXLAN_LINK", "u32"),
    4: A("IFLA_VXLAN_LOCAL", "ipv4"),
    5: A("IFLA_VXLAN_TTL", "u8"),
    6: A("IFLA_VXLAN_TOS", "u8"),
    7: A("IFLA_VXLAN_LEARNING", "u8"),
    8: A("IFLA_VXLAN_AGEING", "u32"),
    9: A("IFLA_VXLAN_LIMIT", "u32"),
    10: A("IFLA_VXLAN_PORT_RANGE", "struct", struct=hdr("ifla_vxlan_port_range", Struct(
        "low" / Int16ub, "high" / Int16ub))),
    11: A("IFLA_VXLAN_PROXY", "u8"),
    12: A("IFLA_VXLAN_RSC", "u8"),
    13: A("IFLA_VXLAN_L2MISS", "u8"),
    14: A("IFLA_VXLAN_L3MISS", "u8"),
    15: A("IFLA_VXLAN_PORT", "be16"),
    16: A("IFLA_VXLAN_GROUP6", "ipv6"),
    17: A("IFLA_VXLAN_LOCAL6", "ipv6"),
    18: A("IFLA_VXLAN_UDP_CSUM", "u8"),
    19: A("IFLA_VXLAN_UDP_ZERO_CSUM6_TX", "u8"),
    20: A("IFLA_VXLAN_UDP_ZERO_CSUM6_RX", "u8"),
    21: A("IFLA_VXLAN_REMCSUM_TX", "u8"),
    22: A("IFLA_VXLAN_REMCSUM_RX", "u8"),
    23: A("IFLA_VXLAN_GBP", "flag"),
    24: A("IFLA_VXLAN_REMCSUM_NOPARTIAL", "flag"),
    25: A("IFLA_VXLAN_COLLECT_METADATA", "u8"),
    26: A("IFLA_VXLAN_LABEL", "be32"),
    27: A("IFLA_VXLAN_GPE", "flag"),
    28: A("IFLA_VXLAN_TTL_INHERIT", "custom", decode=flag_or_u8),
    29: A("IFLA_VXLAN_DF", "u8", enum=VXLAN_DF),
    30: A("IFLA_VXLAN_VNIFILTER", "u8"),
    31: A("IFLA_VXLAN_LOCALBYPASS", "u8"),
    32: A("IFLA_VXLAN_LABEL_POLICY", "u32", enum={0: "VXLAN_LABEL_FIXED", 1: "VXLAN_LABEL_INHERIT"}),
})

GENEVE_INFO = AttrSet("ifla_geneve", {
    1: A("IFLA_GENEVE_ID", "u32"),
    2: A("IFLA_GENEVE_REMOTE", "ipv4"),
    3: A("IFLA_GENEVE_TTL", "u8"),
    4: A("IFLA_GENEVE_TOS", "u8"),
    5: A("IFLA_GENEVE_PORT", "be16"),
    6: A("IFLA_GENEVE_COLLECT_METADATA", "flag"),
    7: A("IFLA_GENEVE_REMOTE6", "ipv6"),
    8: A("IFLA_GENEVE_UDP_CSUM", "u8"),
    9: A("IFLA_GENEVE_UDP_ZERO_CSUM6_TX", "u8"),
    10: A("IFLA_GENEVE_UDP_ZERO_CSUM6_RX", "u8"),
    11: A("IFLA_GENEVE_LABEL", "be32"),
    12: A("IFLA_GENEVE_TTL_INHERIT", "u8"),
    13: A("IFLA_GENEVE_DF", "u8", enum={0: "GENEVE_DF_UNSET", 1: "GENEVE_DF_SET", 2: "GENEVE_DF_INHERIT"}),
    14: A("IFLA_GENEVE_INNER_PROTO_INHERIT", "flag"),
})

MACVLAN_MODE = {1: "MACVLAN_MODE_PRIVATE", 2: "MACVLAN_MODE_VEPA", 4: "MACVLAN_MODE_BRIDGE",
                8: "MACVLAN_MODE_PASSTHRU", 16: "MACVLAN_MODE_SOURCE"}
MACVLAN_INFO = AttrSet("ifla_macvlan", {
    1: A("IFLA_MACVLAN_MODE", "u32", enum=MACVLAN_MODE),
    2: A("IFLA_MACVLAN_FLAGS", "u16", flags={1: "MACVLAN_FLAG_NOPROMISC", 2: "MACVLAN_FLAG_NODST"}),
    3: A("IFLA_MACVLAN_MACADDR_MODE", "u32", enum={0: "MACVLAN_MACADDR_ADD", 1: "MACVLAN_MACADDR_DEL",
                                                  2: "MACVLAN_MACADDR_FLUSH", 3: "MACVLAN_MACADDR_SET"}),
    4: A("IFLA_MACVLAN_MACADDR", "mac"),
    5: A("IFLA_MACVLAN_MACADDR_DATA", "nested", nested=AttrSet("ifla_macvlan_macaddr", {
        4: A("IFLA_MACVLAN_MACADDR", "mac")})),
    6: A("IFLA_MACVLAN_MACADDR_COUNT", "u32"),
    7: A("IFLA_MACVLAN_BC_QUEUE_LEN", "u32"),
    8: A("IFLA_MACVLAN_BC_QUEUE_LEN_USED", "u32"),
    9: A("IFLA_MACVLAN_BC_CUTOFF", "s32"),
})
IPVLAN_INFO = AttrSet("ifla_ipvlan", {
    1: A("IFLA_IPVLAN_MODE", "u16", enum={0: "IPVLAN_MODE_L2", 1: "IPVLAN_MODE_L3", 2: "IPVLAN_MODE_L3S"}),
    2: A("IFLA_IPVLAN_FLAGS", "u16", flags={1: "IPVLAN_F_PRIVATE", 2: "IPVLAN_F_VEPA"}),
})
VRF_INFO = AttrSet("ifla_vrf", {1: A("IFLA_VRF_TABLE", "u32")})
VRF_PORT = AttrSet("ifla_vrf_port", {1: A("IFLA_VRF_PORT_TABLE", "u32")})
TUN_INFO = AttrSet("ifla_tun", {
    1: A("IFLA_TUN_OWNER", "u32"),
    2: A("IFLA_TUN_GROUP", "u32"),
    3: A("IFLA_TUN_TYPE", "u8", enum={1: "IFF_TUN", 2: "IFF_TAP"}),
    4: A("IFLA_TUN_PI", "u8"),
    5: A("IFLA_TUN_VNET_HDR", "u8"),
    6: A("IFLA_TUN_PERSIST", "u8"),
    7: A("IFLA_TUN_MULTI_QUEUE", "u8"),
    8: A("IFLA_TUN_NUM_QUEUES", "u32"),
    9: A("IFLA_TUN_NUM_DISABLED_QUEUES", "u32"),
})
XFRM_INFO = AttrSet("ifla_xfrm", {
    1: A("IFLA_XFRM_LINK", "u32"),
    2: A("IFLA_XFRM_IF_ID", "u32"),
    3: A("IFLA_XFRM_COLLECT_METADATA", "flag"),
})
GRE_INFO = AttrSet("ifla_gre", {
    1: A("IFLA_GRE_LINK", "u32"),
    2: A("IFLA_GRE_IFLAGS", "be16"),
    3: A("IFLA_GRE_OFLAGS", "be16"),
    4: A("IFLA_GRE_IKEY", "be32"),
    5: A("IFLA_GRE_OKEY", "be32"),
    6: A("IFLA_GRE_LOCAL", "ipaddr"),
    7: A("IFLA_GRE_REMOTE", "ipaddr"),
    8: A("IFLA_GRE_TTL", "u8"),
    9: A("IFLA_GRE_TOS", "u8"),
    10: A("IFLA_GRE_PMTUDISC", "u8"),
    11: A("IFLA_GRE_ENCAP_LIMIT", "u8"),
    12: A("IFLA_GRE_FLOWINFO", "be32"),
    13: A("IFLA_GRE_FLAGS", "u32"),
    14: A("IFLA_GRE_ENCAP_TYPE", "u16"),
    15: A("IFLA_GRE_ENCAP_FLAGS", "u16"),
    16: A("IFLA_GRE_ENCAP_SPORT", "be16"),
    17: A("IFLA_GRE_ENCAP_DPORT", "be16"),
    18: A("IFLA_GRE_COLLECT_METADATA", "flag"),
    19: A("IFLA_GRE_IGNORE_DF", "u8"),
    20: A("IFLA_GRE_FWMARK", "u32"),
    21: A("IFLA_GRE_ERSPAN_INDEX", "u32"),
    22: A("IFLA_GRE_ERSPAN_VER", "u8"),
    23: A("IFLA_GRE_ERSPAN_DIR", "u8"),
    24: A("IFLA_GRE_ERSPAN_HWID", "u16"),
})
IPTUN_INFO = AttrSet("ifla_iptun", {
    1: A("IFLA_IPTUN_LINK", "u32"),
    2: A("IFLA_IPTUN_LOCAL", "ipaddr"),
    3: A("IFLA_IPTUN_REMOTE", "ipaddr"),
    4: A("IFLA_IPTUN_TTL", "u8"),
    5: A("IFLA_IPTUN_TOS", "u8"),
    6: A("IFLA_IPTUN_ENCAP_LIMIT", "u8"),
    7: A("IFLA_IPTUN_FLOWINFO", "be32"),
    8: A("IFLA_IPTUN_FLAGS", "uint"),  # u16 for sit, u32 for ip6tnl
    9: A("IFLA_IPTUN_PROTO", "u8"),
    10: A("IFLA_IPTUN_PMTUDISC", "u8"),
    11: A("IFLA_IPTUN_6RD_PREFIX", "ipv6"),
    12: A("IFLA_IPTUN_6RD_RELAY_PREFIX", "ipv4"),
    13: A("IFLA_IPTUN_6RD_PREFIXLEN", "u16"),
    14: A("IFLA_IPTUN_6RD_RELAY_PREFIXLEN", "u16"),
    15: A("IFLA_IPTUN_ENCAP_TYPE", "u16"),
    16: A("IFLA_IPTUN_ENCAP_FLAGS", "u16"),
    17: A("IFLA_IPTUN_ENCAP_SPORT", "be16"),
    18: A("IFLA_IPTUN_ENCAP_DPORT", "be16"),
    19: A("IFLA_IPTUN_COLLECT_METADATA", "flag"),
    20: A("IFLA_IPTUN_FWMARK", "u32"),
})
VTI_INFO = AttrSet("ifla_vti", {
    1: A("IFLA_VTI_LINK", "u32"),
    2: A("IFLA_VTI_IKEY", "be32"),
    3: A("IFLA_VTI_OKEY", "be32"),
    4: A("IFLA_VTI_LOCAL", "ipaddr"),
    5: A("IFLA_VTI_REMOTE", "ipaddr"),
    6: A("IFLA_VTI_FWMARK", "u32"),
})

BOND_MODE = {0: "BOND_MODE_ROUNDROBIN", 1: "BOND_MODE_ACTIVEBACKUP", 2: "BOND_MODE_XOR",
             3: "BOND_MODE_BROADCAST", 4: "BOND_MODE_8023AD", 5: "BOND_MODE_TLB", 6: "BOND_MODE_ALB"}


def _addr_list(name, buf, start, end, order, problems, path, siblings) -> Field:
    """Nested addresses whose attribute type is their index (IFLA_BOND_ARP_IP_TARGET)."""
    items = walk_attrs(buf, start + 4, end, None, order, problems, path + ".")
    kids = []
    for it in items:
        if it.kind == "bytes" and len(it.value) in (4, 16):
            it = Field("target", "addr", ip_text(it.value), it.start, it.end)
        kids.append(it)
    return Field(name, "list", None, start, end, children=kids)


BOND_INFO = AttrSet("ifla_bond", {
    1: A("IFLA_BOND_MODE", "u8", enum=BOND_MODE),
    2: A("IFLA_BOND_ACTIVE_SLAVE", "u32"),
    3: A("IFLA_BOND_MIIMON", "u32"),
    4: A("IFLA_BOND_UPDELAY", "u32"),
    5: A("IFLA_BOND_DOWNDELAY", "u32"),
    6: A("IFLA_BOND_USE_CARRIER", "u8"),
    7: A("IFLA_BOND_ARP_INTERVAL", "u32"),
    8: A("IFLA_BOND_ARP_IP_TARGET", "custom", decode=_addr_list),
    9: A("IFLA_BOND_ARP_VALIDATE", "u32"),
    10: A("IFLA_BOND_ARP_ALL_TARGETS", "u32"),
    11: A("IFLA_BOND_PRIMARY", "u32"),
    12: A("IFLA_BOND_PRIMARY_RESELECT", "u8"),
    13: A("IFLA_BOND_FAIL_OVER_MAC", "u8"),
    14: A("IFLA_BOND_XMIT_HASH_POLICY", "u8"),
    15: A("IFLA_BOND_RESEND_IGMP", "u32"),
    16: A("IFLA_BOND_NUM_PEER_NOTIF", "u8"),
    17: A("IFLA_BOND_ALL_SLAVES_ACTIVE", "u8"),
    18: A("IFLA_BOND_MIN_LINKS", "u32"),
    19: A("IFLA_BOND_LP_INTERVAL", "u32"),
    20: A("IFLA_BOND_PACKETS_PER_SLAVE", "u32"),
    21: A("IFLA_BOND_AD_LACP_RATE", "u8"),
    22: A("IFLA_BOND_AD_SELECT", "u8"),
    23: A("IFLA_BOND_AD_INFO", "nested", nested=AttrSet("ifla_bond_ad_info", {
        1: A("IFLA_BOND_AD_INFO_AGGREGATOR", "u16"),
        2: A("IFLA_BOND_AD_INFO_NUM_PORTS", "u16"),
        3: A("IFLA_BOND_AD_INFO_ACTOR_KEY", "u16"),
        4: A("IFLA_BOND_AD_INFO_PARTNER_KEY", "u16"),
        5: A("IFLA_BOND_AD_INFO_PARTNER_MAC", "mac")})),
    24: A("IFLA_BOND_AD_ACTOR_SYS_PRIO", "u16"),
    25: A("IFLA_BOND_AD_USER_PORT_KEY", "u16"),
    26: A("IFLA_BOND_AD_ACTOR_SYSTEM", "mac"),
    27: A("IFLA_BOND_TLB_DYNAMIC_LB", "u8"),
    28: A("IFLA_BOND_PEER_NOTIF_DELAY", "u32"),
    29: A("IFLA_BOND_AD_LACP_ACTIVE", "u8"),
    30: A("IFLA_BOND_MISSED_MAX", "u8"),
    31: A("IFLA_BOND_NS_IP6_TARGET", "custom", decode=_addr_list),
    32: A("IFLA_BOND_COUPLED_CONTROL", "u8"),
})
BOND_SLAVE = AttrSet("ifla_bond_slave", {
    1: A("IFLA_BOND_SLAVE_STATE", "u8", enum={0: "BOND_STATE_ACTIVE", 1: "BOND_STATE_BACKUP"}),
    2: A("IFLA_BOND_SLAVE_MII_STATUS", "u8", enum={0: "BOND_LINK_UP", 1: "BOND_LINK_FAIL",
                                                   2: "BOND_LINK_DOWN", 3: "BOND_LINK_BACK"}),
    3: A("IFLA_BOND_SLAVE_LINK_FAILURE_COUNT", "u32"),
    4: A("IFLA_BOND_SLAVE_PERM_HWADDR", "mac"),
    5: A("IFLA_BOND_SLAVE_QUEUE_ID", "u16"),
    6: A("IFLA_BOND_SLAVE_AD_AGGREGATOR_ID", "u16"),
    7: A("IFLA_BOND_SLAVE_AD_ACTOR_OPER_PORT_STATE", "u8"),
    8: A("IFLA_BOND_SLAVE_AD_PARTNER_OPER_PORT_STATE", "u16"),
    9: A("IFLA_BOND_SLAVE_PRIO", "s32"),
    10: A("IFLA_BOND_SLAVE_ACTOR_PORT_PRIO", "u16"),
    11: A("IFLA_BOND_SLAVE_AD_CHURN_ACTOR_STATE", "u8"),
    12: A("IFLA_BOND_SLAVE_AD_CHURN_PARTNER_STATE", "u8"),
})

NETKIT_ACTION = {-1 & 0xFFFFFFFF: "NETKIT_NEXT", 0: "NETKIT_PASS", 2: "NETKIT_DROP", 7: "NETKIT_REDIRECT"}
NO_DATA = AttrSet("no_data", {})  # dummy, wireguard, nlmon, ifb, ...: kinds without IFLA_INFO_DATA

# The top-level IFLA set is referenced by kinds that embed a whole link (veth's peer),
# so it is created first and filled below.
IFLA = AttrSet("ifla", {})

VETH_INFO = AttrSet("veth_info", {1: A("VETH_INFO_PEER", "custom", decode=header_then_attrs(IFINFOMSG, IFLA))})
NETKIT_INFO = AttrSet("ifla_netkit", {
    1: A("IFLA_NETKIT_PEER_INFO", "custom", decode=header_then_attrs(IFINFOMSG, IFLA)),
    2: A("IFLA_NETKIT_PRIMARY", "u8"),
    3: A("IFLA_NETKIT_POLICY", "u32", enum=NETKIT_ACTION),
    4: A("IFLA_NETKIT_PEER_POLICY", "u32", enum=NETKIT_ACTION),
    5: A("IFLA_NETKIT_MODE", "u32", enum={0: "NETKIT_L2", 1: "NETKIT_L3"}),
    6: A("IFLA_NETKIT_SCRUB", "u32", enum={0: "NETKIT_SCRUB_NONE", 1: "NETKIT_SCRUB_DEFAULT"}),
    7: A("IFLA_NETKIT_PEER_SCRUB", "u32", enum={0: "NETKIT_SCRUB_NONE", 1: "NETKIT_SCRUB_DEFAULT"}),
})

# -- macsec, hsr, bareudp, gtp (linux/if_link.h, linux/if_macsec.h) ------------------------
MACSEC_CIPHER = {0x0080C20001000001: "MACSEC_CIPHER_ID_GCM_AES_128", 0x0080C20001000002: "MACSEC_CIPHER_ID_GCM_AES_256",
                 0x0080C20001000003: "MACSEC_CIPHER_ID_GCM_AES_XPN_128",
                 0x0080C20001000004: "MACSEC_CIPHER_ID_GCM_AES_XPN_256",
                 0x0080020001000001: "MACSEC_DEFAULT_CIPHER_ID"}
MACSEC_INFO = AttrSet("ifla_macsec", {
    1: A("IFLA_MACSEC_SCI", "be64", fmt=lambda v: f"{v:016x}"),  # sci_t: MAC address then port, as ip prints it
    2: A("IFLA_MACSEC_PORT", "be16"),
    3: A("IFLA_MACSEC_ICV_LEN", "u8"),
    4: A("IFLA_MACSEC_CIPHER_SUITE", "u64", enum=MACSEC_CIPHER),
    5: A("IFLA_MACSEC_WINDOW", "u32"),
    6: A("IFLA_MACSEC_ENCODING_SA", "u8"),
    7: A("IFLA_MACSEC_ENCRYPT", "u8"),
    8: A("IFLA_MACSEC_PROTECT", "u8"),
    9: A("IFLA_MACSEC_INC_SCI", "u8"),
    10: A("IFLA_MACSEC_ES", "u8"),
    11: A("IFLA_MACSEC_SCB", "u8"),
    12: A("IFLA_MACSEC_REPLAY_PROTECT", "u8"),
    13: A("IFLA_MACSEC_VALIDATION", "u8", enum={0: "MACSEC_VALIDATE_DISABLED", 1: "MACSEC_VALIDATE_CHECK",
                                               2: "MACSEC_VALIDATE_STRICT"}),
    14: A("IFLA_MACSEC_PAD", "binary"),
    15: A("IFLA_MACSEC_OFFLOAD", "u8",
          enum={0: "MACSEC_OFFLOAD_OFF", 1: "MACSEC_OFFLOAD_PHY", 2: "MACSEC_OFFLOAD_MAC"}),
})
HSR_INFO = AttrSet("ifla_hsr", {
    1: A("IFLA_HSR_SLAVE1", "u32"),
    2: A("IFLA_HSR_SLAVE2", "u32"),
    3: A("IFLA_HSR_MULTICAST_SPEC", "u8"),
    4: A("IFLA_HSR_SUPERVISION_ADDR", "mac"),
    5: A("IFLA_HSR_SEQ_NR", "u16"),
    6: A("IFLA_HSR_VERSION", "u8"),
    7: A("IFLA_HSR_PROTOCOL", "u8", enum={0: "HSR_PROTOCOL_HSR", 1: "HSR_PROTOCOL_PRP"}),
    8: A("IFLA_HSR_INTERLINK", "u32"),
})
BAREUDP_INFO = AttrSet("ifla_bareudp", {
    1: A("IFLA_BAREUDP_PORT", "be16"),
    2: A("IFLA_BAREUDP_ETHERTYPE", "be16", enum=ETH_P),
    3: A("IFLA_BAREUDP_SRCPORT_MIN", "u16"),
    4: A("IFLA_BAREUDP_MULTIPROTO_MODE", "flag"),
})
GTP_INFO = AttrSet("ifla_gtp", {
    1: A("IFLA_GTP_FD0", "u32"),
    2: A("IFLA_GTP_FD1", "u32"),
    3: A("IFLA_GTP_PDP_HASHSIZE", "u32"),
    4: A("IFLA_GTP_ROLE", "u32", enum={0: "GTP_ROLE_GGSN", 1: "GTP_ROLE_SGSN"}),
    5: A("IFLA_GTP_CREATE_SOCKETS", "u8"),
    6: A("IFLA_GTP_RESTART_COUNT", "u8"),
    7: A("IFLA_GTP_LOCAL", "ipv4"),
    8: A("IFLA_GTP_LOCAL6", "ipv6"),
})

# -- can (linux/can/netlink.h), vxcan (linux/can/vxcan.h) -----------------------------------
CAN_BITTIMING = hdr("can_bittiming", Struct(*(n / Int32un for n in (
    "bitrate", "sample_point", "tq", "prop_seg", "phase_seg1", "phase_seg2", "sjw", "brp"))))
CAN_BITTIMING_CONST = hdr("can_bittiming_const", Struct("name" / Bytes(16), *(n / Int32un for n in (
    "tseg1_min", "tseg1_max", "tseg2_min", "tseg2_max", "sjw_max", "brp_min", "brp_max", "brp_inc"))),
    kinds={"name": "string"})
CAN_CTRLMODE = {0x01: "CAN_CTRLMODE_LOOPBACK", 0x02: "CAN_CTRLMODE_LISTENONLY", 0x04: "CAN_CTRLMODE_3_SAMPLES",
                0x08: "CAN_CTRLMODE_ONE_SHOT", 0x10: "CAN_CTRLMODE_BERR_REPORTING", 0x20: "CAN_CTRLMODE_FD",
                0x40: "CAN_CTRLMODE_PRESUME_ACK", 0x80: "CAN_CTRLMODE_FD_NON_ISO", 0x100: "CAN_CTRLMODE_CC_LEN8_DLC",
                0x200: "CAN_CTRLMODE_TDC_AUTO", 0x400: "CAN_CTRLMODE_TDC_MANUAL"}
CAN_INFO = AttrSet("ifla_can", {
    1: A("IFLA_CAN_BITTIMING", "struct", struct=CAN_BITTIMING),
    2: A("IFLA_CAN_BITTIMING_CONST", "struct", struct=CAN_BITTIMING_CONST),
    3: A("IFLA_CAN_CLOCK", "struct", struct=hdr("can_clock", Struct("freq" / Int32un))),
    4: A("IFLA_CAN_STATE", "u32", enum={0: "CAN_STATE_ERROR_ACTIVE", 1: "CAN_STATE_ERROR_WARNING",
                                        2: "CAN_STATE_ERROR_PASSIVE", 3: "CAN_STATE_BUS_OFF",
                                        4: "CAN_STATE_STOPPED", 5: "CAN_STATE_SLEEPING"}),
    5: A("IFLA_CAN_CTRLMODE", "struct", struct=hdr("can_ctrlmode", Struct("mask" / Int32un, "flags" / Int32un),
                                                  flags={"mask": CAN_CTRLMODE, "flags": CAN_CTRLMODE})),
    6: A("IFLA_CAN_RESTART_MS", "u32"),
    7: A("IFLA_CAN_RESTART", "u32"),
    8: A("IFLA_CAN_BERR_COUNTER", "struct",
         struct=hdr("can_berr_counter", Struct("txerr" / Int16un, "rxerr" / Int16un))),
    9: A("IFLA_CAN_DATA_BITTIMING", "struct", struct=CAN_BITTIMING),
    10: A("IFLA_CAN_DATA_BITTIMING_CONST", "struct", struct=CAN_BITTIMING_CONST),
    11: A("IFLA_CAN_TERMINATION", "u16"),
    12: A("IFLA_CAN_TERMINATION_CONST", "custom", decode=counters([], "H")),
    13: A("IFLA_CAN_BITRATE_CONST", "u32-array"),
    14: A("IFLA_CAN_DATA_BITRATE_CONST", "u32-array"),
    15: A("IFLA_CAN_BITRATE_MAX", "u32"),
    16: A("IFLA_CAN_TDC", "nested", nested=AttrSet("ifla_can_tdc", {
        i: A("IFLA_CAN_TDC_" + n, "u32") for i, n in enumerate(
            ["TDCV_MIN", "TDCV_MAX", "TDCO_MIN", "TDCO_MAX", "TDCF_MIN", "TDCF_MAX", "TDCV", "TDCO", "TDCF"], 1)})),
    17: A("IFLA_CAN_CTRLMODE_EXT", "nested", nested=AttrSet("ifla_can_ctrlmode", {
        1: A("IFLA_CAN_CTRLMODE_SUPPORTED", "u32", flags=CAN_CTRLMODE)})),
})
CAN_DEVICE_STATS = hdr("can_device_stats", Struct(*(n / Int32un for n in (
    "bus_error", "error_warning", "error_passive", "bus_off", "arbitration_lost", "restarts"))))
VXCAN_INFO = AttrSet("vxcan_info", {1: A("VXCAN_INFO_PEER", "custom", decode=header_then_attrs(IFINFOMSG, IFLA))})

INFO_DATA: dict[str, AttrSet] = {
    "veth": VETH_INFO, "bridge": BRIDGE_INFO, "vlan": VLAN_INFO, "vxlan": VXLAN_INFO,
    "geneve": GENEVE_INFO, "bond": BOND_INFO, "macvlan": MACVLAN_INFO, "macvtap": MACVLAN_INFO,
    "ipvlan": IPVLAN_INFO, "ipvtap": IPVLAN_INFO, "vrf": VRF_INFO, "tun": TUN_INFO,
    "xfrm": XFRM_INFO, "netkit": NETKIT_INFO,
    "gre": GRE_INFO, "gretap": GRE_INFO, "ip6gre": GRE_INFO, "ip6gretap": GRE_INFO,
    "erspan": GRE_INFO, "ip6erspan": GRE_INFO,
    "ipip": IPTUN_INFO, "sit": IPTUN_INFO, "ip6tnl": IPTUN_INFO,
    "vti": VTI_INFO, "vti6": VTI_INFO,
    "dummy": NO_DATA, "wireguard": NO_DATA, "nlmon": NO_DATA, "ifb": NO_DATA, "vcan": NO_DATA,
    "macsec": MACSEC_INFO, "hsr": HSR_INFO, "bareudp": BAREUDP_INFO, "gtp": GTP_INFO, "can": CAN_INFO,
    "vxcan": VXCAN_INFO,
}
SLAVE_DATA: dict[str, AttrSet] = {"bridge": BRPORT, "bond": BOND_SLAVE, "vrf": VRF_PORT}


def _by_kind(table: dict[str, AttrSet], kind_attr: str):
    def pick(siblings: list[Field]) -> AttrSet | None:
        for f in siblings:
            if f.name == kind_attr:
                return table.get(f.value)
        return None
    return pick


def _slave_data(siblings: list[Field]) -> AttrSet | None:
    """The master's kind: IFLA_INFO_SLAVE_KIND in replies; iproute2's `type bridge_slave`
    requests send it as IFLA_INFO_KIND "bridge_slave" instead."""
    kind = next((f.value for f in siblings if f.name == "IFLA_INFO_SLAVE_KIND"), None)
    if kind is None:
        kind = next((f.value for f in siblings if f.name == "IFLA_INFO_KIND"), "")
        kind = kind.removesuffix("_slave") if isinstance(kind, str) and kind.endswith("_slave") else None
    return SLAVE_DATA.get(kind)


# IFLA_INFO_XSTATS: the kind's own statistics struct.
INFO_XSTATS: dict[str, FixedHeader] = {"can": CAN_DEVICE_STATS}


def _info_xstats(name, buf, start, end, order, problems, path, siblings) -> Field:
    kind = next((f.value for f in siblings if f.name == "IFLA_INFO_KIND"), None)
    st = INFO_XSTATS.get(kind)
    if st is None or end - start - 4 < st.size:
        return Field(name, "bytes", bytes(buf[start + 4:end]), start, end)
    return Field(name, "struct", None, start, end, children=st.parse(buf, start + 4, order))


LINKINFO = AttrSet("ifla_info", {
    1: A("IFLA_INFO_KIND", "string"),
    2: A("IFLA_INFO_DATA", "nested", nested=_by_kind(INFO_DATA, "IFLA_INFO_KIND")),
    3: A("IFLA_INFO_XSTATS", "custom", decode=_info_xstats),
    4: A("IFLA_INFO_SLAVE_KIND", "string"),
    5: A("IFLA_INFO_SLAVE_DATA", "nested", nested=_slave_data),
})

# -- SR-IOV VFs and port profiles ----------------------------------------------------------
VF_STATS = AttrSet("ifla_vf_stats", {
    0: A("IFLA_VF_STATS_RX_PACKETS", "u64"), 1: A("IFLA_VF_STATS_TX_PACKETS", "u64"),
    2: A("IFLA_VF_STATS_RX_BYTES", "u64"), 3: A("IFLA_VF_STATS_TX_BYTES", "u64"),
    4: A("IFLA_VF_STATS_BROADCAST", "u64"), 5: A("IFLA_VF_STATS_MULTICAST", "u64"),
    6: A("IFLA_VF_STATS_PAD", "binary"), 7: A("IFLA_VF_STATS_RX_DROPPED", "u64"),
    8: A("IFLA_VF_STATS_TX_DROPPED", "u64"),
})


def _vf(name: str, *fields) -> FixedHeader:
    return hdr(name, Struct("vf" / Int32un, *fields))


VF_INFO = AttrSet("ifla_vf", {
    1: A("IFLA_VF_MAC", "struct", struct=_vf("ifla_vf_mac", "mac" / Bytes(32))),
    2: A("IFLA_VF_VLAN", "struct", struct=_vf("ifla_vf_vlan", "vlan" / Int32un, "qos" / Int32un)),
    3: A("IFLA_VF_TX_RATE", "struct", struct=_vf("ifla_vf_tx_rate", "rate" / Int32un)),
    4: A("IFLA_VF_SPOOFCHK", "struct", struct=_vf("ifla_vf_spoofchk", "setting" / Int32un)),
    5: A("IFLA_VF_LINK_STATE", "struct", struct=hdr("ifla_vf_link_state", Struct(
        "vf" / Int32un, "link_state" / Int32un), enums={"link_state": {
            0: "IFLA_VF_LINK_STATE_AUTO", 1: "IFLA_VF_LINK_STATE_ENABLE", 2: "IFLA_VF_LINK_STATE_DISABLE"}})),
    6: A("IFLA_VF_RATE", "struct", struct=_vf("ifla_vf_rate", "min_tx_rate" / Int32un, "max_tx_rate" / Int32un)),
    7: A("IFLA_VF_RSS_QUERY_EN", "struct", struct=_vf("ifla_vf_rss_query_en", "setting" / Int32un)),
    8: A("IFLA_VF_STATS", "nested", nested=VF_STATS),
    9: A("IFLA_VF_TRUST", "struct", struct=_vf("ifla_vf_trust", "setting" / Int32un)),
    10: A("IFLA_VF_IB_NODE_GUID", "struct", struct=_vf("ifla_vf_guid", Padding(4), "guid" / Int64un)),
    11: A("IFLA_VF_IB_PORT_GUID", "struct", struct=_vf("ifla_vf_guid", Padding(4), "guid" / Int64un)),
    12: A("IFLA_VF_VLAN_LIST", "nested", nested=AttrSet("ifla_vf_vlan_list", {
        1: A("IFLA_VF_VLAN_INFO", "struct", struct=hdr("ifla_vf_vlan_info", Struct(
            "vf" / Int32un, "vlan" / Int32un, "qos" / Int32un, "vlan_proto" / Int16ub),
            enums={"vlan_proto": ETH_P}))})),
    13: A("IFLA_VF_BROADCAST", "binary"),
})
VFINFO_LIST = AttrSet("ifla_vfinfo_list", {1: A("IFLA_VF_INFO", "nested", nested=VF_INFO)})
PORT = AttrSet("ifla_port", {
    1: A("IFLA_PORT_VF", "u32"),
    2: A("IFLA_PORT_PROFILE", "string"),
    3: A("IFLA_PORT_VSI_TYPE", "binary"),
    4: A("IFLA_PORT_INSTANCE_UUID", "binary"),
    5: A("IFLA_PORT_HOST_UUID", "binary"),
    6: A("IFLA_PORT_REQUEST", "u8"),
    7: A("IFLA_PORT_RESPONSE", "u16"),
})
VF_PORTS = AttrSet("ifla_vf_ports", {1: A("IFLA_VF_PORT", "nested", nested=PORT)})

XDP_ATTACHED = {0: "XDP_ATTACHED_NONE", 1: "XDP_ATTACHED_DRV", 2: "XDP_ATTACHED_SKB",
                3: "XDP_ATTACHED_HW", 4: "XDP_ATTACHED_MULTI"}
XDP_FLAGS = {1: "XDP_FLAGS_UPDATE_IF_NOEXIST", 2: "XDP_FLAGS_SKB_MODE", 4: "XDP_FLAGS_DRV_MODE",
             8: "XDP_FLAGS_HW_MODE", 16: "XDP_FLAGS_REPLACE"}
XDP = AttrSet("ifla_xdp", {
    1: A("IFLA_XDP_FD", "s32"),
    2: A("IFLA_XDP_ATTACHED", "u8", enum=XDP_ATTACHED),
    3: A("IFLA_XDP_FLAGS", "u32", flags=XDP_FLAGS),
    4: A("IFLA_XDP_PROG_ID", "u32"),
    5: A("IFLA_XDP_DRV_PROG_ID", "u32"),
    6: A("IFLA_XDP_SKB_PROG_ID", "u32"),
    7: A("IFLA_XDP_HW_PROG_ID", "u32"),
    8: A("IFLA_XDP_EXPECTED_FD", "s32"),
})
IFLA_EVENT = {0: "IFLA_EVENT_NONE", 1: "IFLA_EVENT_REBOOT", 2: "IFLA_EVENT_FEATURES",
              3: "IFLA_EVENT_BONDING_FAILOVER", 4: "IFLA_EVENT_NOTIFY_PEERS",
              5: "IFLA_EVENT_IGMP_RESEND", 6: "IFLA_EVENT_BONDING_OPTIONS"}
DEVLINK_PORT = AttrSet("devlink", {  # the handle of the port (linux/devlink.h)
    1: A("DEVLINK_ATTR_BUS_NAME", "string"),
    2: A("DEVLINK_ATTR_DEV_NAME", "string"),
    3: A("DEVLINK_ATTR_PORT_INDEX", "u32"),
})

# -- IFLA_AF_SPEC and IFLA_PROTINFO depend on ifi_family ---------------------------------
AF_SPEC = AttrSet("ifla_af_spec", {
    AF_INET: A("AF_INET", "nested", nested=INET),
    AF_INET6: A("AF_INET6", "nested", nested=INET6),
    AF_BRIDGE: A("AF_BRIDGE", "nested", nested=BRIDGE_AF),
    45: A("AF_MCTP", "nested", nested=MCTP),
})

IFLA.attrs.update({
    1: A("IFLA_ADDRESS", "mac"),
    2: A("IFLA_BROADCAST", "mac"),
    3: A("IFLA_IFNAME", "string"),
    4: A("IFLA_MTU", "u32"),
    5: A("IFLA_LINK", "u32"),
    6: A("IFLA_QDISC", "string"),
    7: A("IFLA_STATS", "custom", decode=counters(LINK_STATS, "I")),
    8: A("IFLA_COST", "binary"),
    9: A("IFLA_PRIORITY", "binary"),
    10: A("IFLA_MASTER", "u32"),
    11: A("IFLA_WIRELESS", "binary"),
    12: A("IFLA_PROTINFO", "nested"),  # by family: see _ifla_for
    13: A("IFLA_TXQLEN", "u32"),
    14: A("IFLA_MAP", "struct", struct=IFMAP),
    15: A("IFLA_WEIGHT", "u32"),
    16: A("IFLA_OPERSTATE", "u8", enum=IF_OPER),
    17: A("IFLA_LINKMODE", "u8", enum=IF_LINK_MODE),
    18: A("IFLA_LINKINFO", "nested", nested=LINKINFO),
    19: A("IFLA_NET_NS_PID", "u32"),
    20: A("IFLA_IFALIAS", "string"),
    21: A("IFLA_NUM_VF", "u32"),
    22: A("IFLA_VFINFO_LIST", "nested", nested=VFINFO_LIST),
    23: A("IFLA_STATS64", "custom", decode=counters(LINK_STATS, "Q")),
    24: A("IFLA_VF_PORTS", "nested", nested=VF_PORTS),
    25: A("IFLA_PORT_SELF", "nested", nested=PORT),
    26: A("IFLA_AF_SPEC", "nested", nested=AF_SPEC),
    27: A("IFLA_GROUP", "u32"),
    28: A("IFLA_NET_NS_FD", "s32"),
    29: A("IFLA_EXT_MASK", "u32", flags=RTEXT_FILTER),
    30: A("IFLA_PROMISCUITY", "u32"),
    31: A("IFLA_NUM_TX_QUEUES", "u32"),
    32: A("IFLA_NUM_RX_QUEUES", "u32"),
    33: A("IFLA_CARRIER", "u8"),
    34: A("IFLA_PHYS_PORT_ID", "binary"),
    35: A("IFLA_CARRIER_CHANGES", "u32"),
    36: A("IFLA_PHYS_SWITCH_ID", "binary"),
    37: A("IFLA_LINK_NETNSID", "s32"),
    38: A("IFLA_PHYS_PORT_NAME", "string"),
    39: A("IFLA_PROTO_DOWN", "u8"),
    40: A("IFLA_GSO_MAX_SEGS", "u32"),
    41: A("IFLA_GSO_MAX_SIZE", "u32"),
    42: A("IFLA_PAD", "binary"),
    43: A("IFLA_XDP", "nested", nested=XDP),
    44: A("IFLA_EVENT", "u32", enum=IFLA_EVENT),
    45: A("IFLA_NEW_NETNSID", "s32"),
    46: A("IFLA_TARGET_NETNSID", "s32"),  # also IFLA_IF_NETNSID
    47: A("IFLA_CARRIER_UP_COUNT", "u32"),
    48: A("IFLA_CARRIER_DOWN_COUNT", "u32"),
    49: A("IFLA_NEW_IFINDEX", "s32"),
    50: A("IFLA_MIN_MTU", "u32"),
    51: A("IFLA_MAX_MTU", "u32"),
    52: A("IFLA_PROP_LIST", "nested", nested=AttrSet("ifla_prop_list", {53: A("IFLA_ALT_IFNAME", "string")})),
    53: A("IFLA_ALT_IFNAME", "string"),
    54: A("IFLA_PERM_ADDRESS", "mac"),
    55: A("IFLA_PROTO_DOWN_REASON", "nested", nested=AttrSet("ifla_proto_down_reason", {
        1: A("IFLA_PROTO_DOWN_REASON_MASK", "u32"),
        2: A("IFLA_PROTO_DOWN_REASON_VALUE", "u32")})),
    56: A("IFLA_PARENT_DEV_NAME", "string"),
    57: A("IFLA_PARENT_DEV_BUS_NAME", "string"),
    58: A("IFLA_GRO_MAX_SIZE", "u32"),
    59: A("IFLA_TSO_MAX_SIZE", "u32"),
    60: A("IFLA_TSO_MAX_SEGS", "u32"),
    61: A("IFLA_ALLMULTI", "u32"),
    62: A("IFLA_DEVLINK_PORT", "nested", nested=DEVLINK_PORT),
    63: A("IFLA_GSO_IPV4_MAX_SIZE", "u32"),
    64: A("IFLA_GRO_IPV4_MAX_SIZE", "u32"),
    65: A("IFLA_DPLL_PIN", "nested"),
})


def _variant(name: str, **over: A) -> AttrSet:
    attrs = dict(IFLA.attrs)
    for key, attr in over.items():
        attrs[int(key[1:])] = attr
    return AttrSet(name, attrs)


# AF_BRIDGE messages (bridge link, bridge vlan): IFLA_AF_SPEC is IFLA_BRIDGE_*, and
# IFLA_PROTINFO the port's IFLA_BRPORT_*. AF_INET6 (RA notifications): IFLA_PROTINFO is
# IFLA_INET6_*.
IFLA_BRIDGE = _variant("ifla(bridge)", _26=A("IFLA_AF_SPEC", "nested", nested=BRIDGE_AF),
                       _12=A("IFLA_PROTINFO", "nested", nested=BRPORT))
IFLA_INET6 = _variant("ifla(inet6)", _12=A("IFLA_PROTINFO", "nested", nested=INET6))


def ifla_for(fields: list[Field]) -> AttrSet:
    fam = family_of(fields)
    if fam == AF_BRIDGE:
        return IFLA_BRIDGE
    if fam == AF_INET6:
        return IFLA_INET6
    return IFLA


# -- summaries -----------------------------------------------------------------------------
# The order iproute2 prints link flags in (ip/ipaddress.c print_link_flags).
_FLAG_ORDER = [(8, "LOOPBACK"), (2, "BROADCAST"), (16, "POINTOPOINT"), (4096, "MULTICAST"),
               (128, "NOARP"), (512, "ALLMULTI"), (256, "PROMISC"), (32, "NOTRAILERS"),
               (4, "DEBUG"), (32768, "DYNAMIC"), (16384, "AUTOMEDIA"), (8192, "PORTSEL"),
               (1024, "MASTER"), (2048, "SLAVE"), (1, "UP"), (65536, "LOWER_UP"),
               (131072, "DORMANT"), (262144, "ECHO")]


def link_flags_text(flags: int) -> str:
    out = ["NO-CARRIER"] if flags & 1 and not flags & 64 else []
    out += [n for bit, n in _FLAG_ORDER if flags & bit]
    rest = flags & ~(sum(b for b, _ in _FLAG_ORDER) | 64)
    if rest:
        out.append(f"0x{rest:x}")
    return "<" + ",".join(out) + ">"


def _set_flags_text(flags: int, change: int) -> list[str]:
    """What a request sets: `up`, `down`, `promisc on`, ... (ifi_change masks ifi_flags)."""
    out = []
    for bit, name in _FLAG_ORDER:
        if change & bit:
            word = name.lower()
            on = bool(flags & bit)
            out.append(("up" if on else "down") if bit == 1 else f"{word} {'on' if on else 'off'}")
    if flags & ~change & 1:  # IFF_UP given without a change mask: old-style "set up"
        out.append("up")
    return out


def _ll_word(ifi_type: int) -> str:
    name = ARPHRD.get(ifi_type)
    return name[7:].lower() if name else str(ifi_type)


def link_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    if is_dump_request(msg):
        extra = []
        if "IFLA_MASTER" in v.a:
            extra.append(f"master {v.av('IFLA_MASTER')}")
        kind = v.a.get("IFLA_LINKINFO")
        if kind is not None and kind.get("IFLA_INFO_KIND") is not None:
            extra.append(f"type {kind.get('IFLA_INFO_KIND').value}")
        return dump_line(msg, v, " ".join(extra))
    parts = [msg.type_name]
    request = bool(msg.flags & 1)
    idx = v.hv("ifi_index")
    if idx:
        parts.append(f"dev {idx}" if request else f"{idx}:")
    if "IFLA_IFNAME" in v.a:
        parts.append(v.av("IFLA_IFNAME"))
    elif "IFLA_ALT_IFNAME" in v.a:
        parts.append(v.av("IFLA_ALT_IFNAME"))
    flags, change = v.hv("ifi_flags", 0), v.hv("ifi_change", 0)
    if request:
        parts.extend(_set_flags_text(flags, change))
    else:
        parts.append(link_flags_text(flags))
    if "IFLA_MTU" in v.a:
        parts.append(f"mtu {v.av('IFLA_MTU')}")
    if "IFLA_QDISC" in v.a and not request:
        parts.append(f"qdisc {v.av('IFLA_QDISC')}")
    if "IFLA_MASTER" in v.a:
        parts.append(f"master {v.av('IFLA_MASTER')}")
    if "IFLA_OPERSTATE" in v.a:
        parts.append(f"state {v.a['IFLA_OPERSTATE'].short().removeprefix('IF_OPER_')}")
    info = v.a.get("IFLA_LINKINFO")
    if info is not None:
        kind = info.get("IFLA_INFO_KIND")
        if kind is not None:
            parts.append(f"type {kind.value}")
            parts.extend(_kind_detail(kind.value, info.get("IFLA_INFO_DATA")))
        slave = info.get("IFLA_INFO_SLAVE_KIND")
        if slave is not None:
            parts.append(f"{slave.value}_slave")
    if "IFLA_ADDRESS" in v.a:
        addr = v.av("IFLA_ADDRESS")
        parts.append(f"address {addr}" if request else f"link/{_ll_word(v.hv('ifi_type', 0))} {addr}")
    if "IFLA_AF_SPEC" in v.a and v.family() == AF_BRIDGE:
        vids = [c for c in v.a["IFLA_AF_SPEC"].children or () if c.name == "IFLA_BRIDGE_VLAN_INFO"]
        if vids:
            parts.append("vlan " + ",".join(str(c.get("vid").value) for c in vids if c.get("vid")))
    if len(parts) == 1:
        parts.append(f"{AF_SHORT.get(v.family(), v.family())}, no device, no attributes")
    return " ".join(str(p) for p in parts)


def _kind_detail(kind: str, data: Field | None) -> list[str]:
    if data is None:
        return []
    if kind == "vlan" and data.get("IFLA_VLAN_ID") is not None:
        return [f"id {data.get('IFLA_VLAN_ID').value}"]
    if kind == "vxlan" and data.get("IFLA_VXLAN_ID") is not None:
        out = [f"id {data.get('IFLA_VXLAN_ID').value}"]
        if data.get("IFLA_VXLAN_PORT") is not None:
            out.append(f"dstport {data.get('IFLA_VXLAN_PORT').value}")
        return out
    if kind == "veth":
        peer = data.get("VETH_INFO_PEER")
        attrs = peer.get("attributes") if peer is not None else None
        name = attrs.get("IFLA_IFNAME") if attrs is not None else None
        return [f"peer {name.value}"] if name is not None else []
    return []


def linkprop_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    parts = [msg.type_name]
    if v.hv("ifi_index"):
        parts.append(f"{v.hv('ifi_index')}:")
    if "IFLA_IFNAME" in v.a:
        parts.append(v.av("IFLA_IFNAME"))
    props = v.a.get("IFLA_PROP_LIST")
    for c in (props.children or ()) if props is not None else ():
        if c.name == "IFLA_ALT_IFNAME":
            parts.append(f"altname {c.value}")
    if len(parts) == 1:
        parts.append("(no properties)")
    return " ".join(parts)


# -- RTM_*STATS: struct if_stats_msg --------------------------------------------------------
STATS_FILTER = {1: "IFLA_STATS_LINK_64", 2: "IFLA_STATS_LINK_XSTATS",
                4: "IFLA_STATS_LINK_XSTATS_SLAVE", 8: "IFLA_STATS_LINK_OFFLOAD_XSTATS",
                16: "IFLA_STATS_AF_SPEC"}  # IFLA_STATS_FILTER_BIT(attr) = 1 << (attr - 1)
IF_STATS_MSG = hdr("if_stats_msg", Struct(
    "family" / Int8un, Padding(3), "ifindex" / Int32un, "filter_mask" / Int32un),
    enums={"family": AF_NAMES}, flags={"filter_mask": STATS_FILTER})
BRIDGE_XSTATS = AttrSet("bridge_xstats", {
    1: A("BRIDGE_XSTATS_VLAN", "struct", struct=hdr("bridge_vlan_xstats", Struct(
        "rx_bytes" / Int64un, "rx_packets" / Int64un, "tx_bytes" / Int64un, "tx_packets" / Int64un,
        "vid" / Int16un, "flags" / Int16un), flags={"flags": BRIDGE_VLAN_INFO_F})),
    2: A("BRIDGE_XSTATS_MCAST", "custom", decode=counters([
        "igmp_v1queries_rx", "igmp_v1queries_tx", "igmp_v2queries_rx", "igmp_v2queries_tx",
        "igmp_v3queries_rx", "igmp_v3queries_tx", "igmp_leaves_rx", "igmp_leaves_tx",
        "igmp_v1reports_rx", "igmp_v1reports_tx", "igmp_v2reports_rx", "igmp_v2reports_tx",
        "igmp_v3reports_rx", "igmp_v3reports_tx", "igmp_parse_errors",
        "mld_v1queries_rx", "mld_v1queries_tx", "mld_v2queries_rx", "mld_v2queries_tx",
        "mld_leaves_rx", "mld_leaves_tx", "mld_v1reports_rx", "mld_v1reports_tx",
        "mld_v2reports_rx", "mld_v2reports_tx", "mld_parse_errors",
        "mcast_bytes_rx", "mcast_bytes_tx", "mcast_packets_rx", "mcast_packets_tx"])),
    3: A("BRIDGE_XSTATS_PAD", "binary"),
    4: A("BRIDGE_XSTATS_STP", "custom", decode=counters([
        "transition_blk", "transition_fwd", "rx_bpdu", "tx_bpdu", "rx_tcn", "tx_tcn"])),
})
LINK_XSTATS = AttrSet("link_xstats_type", {
    1: A("LINK_XSTATS_TYPE_BRIDGE", "nested", nested=BRIDGE_XSTATS),
    2: A("LINK_XSTATS_TYPE_BOND", "nested"),
})
OFFLOAD_XSTATS = AttrSet("ifla_offload_xstats", {
    1: A("IFLA_OFFLOAD_XSTATS_CPU_HIT", "custom", decode=counters(LINK_STATS, "Q")),
    2: A("IFLA_OFFLOAD_XSTATS_HW_S_INFO", "nested-array", nested=AttrSet("ifla_offload_xstats_hw_s_info", {
        1: A("IFLA_OFFLOAD_XSTATS_HW_S_INFO_REQUEST", "u8"),
        2: A("IFLA_OFFLOAD_XSTATS_HW_S_INFO_USED", "u8")})),
    3: A("IFLA_OFFLOAD_XSTATS_L3_STATS", "custom", decode=counters(HW_STATS, "Q")),
})
# IFLA_STATS_AF_SPEC: per family; MPLS puts struct mpls_link_stats in MPLS_STATS_LINK.
STATS_AF_SPEC = AttrSet("ifla_stats_af_spec", {
    28: A("AF_MPLS", "nested", nested=AttrSet("mpls_stats", {
        1: A("MPLS_STATS_LINK", "custom", decode=counters([
            "rx_packets", "tx_packets", "rx_bytes", "tx_bytes", "rx_errors", "tx_errors",
            "rx_dropped", "tx_dropped", "rx_noroute"]))})),
})
STATS_ATTRS = AttrSet("ifla_stats", {
    1: A("IFLA_STATS_LINK_64", "custom", decode=counters(LINK_STATS, "Q")),
    2: A("IFLA_STATS_LINK_XSTATS", "nested", nested=LINK_XSTATS),
    3: A("IFLA_STATS_LINK_XSTATS_SLAVE", "nested", nested=LINK_XSTATS),
    4: A("IFLA_STATS_LINK_OFFLOAD_XSTATS", "nested", nested=OFFLOAD_XSTATS),
    5: A("IFLA_STATS_AF_SPEC", "nested", nested=STATS_AF_SPEC),
})
STATS_FILTER_ATTRS = AttrSet("ifla_stats_getset", {
    1: A("IFLA_STATS_GET_FILTERS", "nested", nested=AttrSet("ifla_stats_filters", {
        k: A(n, "u32") for k, n in ((1, "IFLA_STATS_LINK_64"), (2, "IFLA_STATS_LINK_XSTATS"),
                                    (3, "IFLA_STATS_LINK_XSTATS_SLAVE"),
                                    (4, "IFLA_STATS_LINK_OFFLOAD_XSTATS"), (5, "IFLA_STATS_AF_SPEC"))})),
    2: A("IFLA_STATS_SET_OFFLOAD_XSTATS_L3_STATS", "u8"),
})


def stats_attrs(fields: list[Field]) -> AttrSet:
    return STATS_ATTRS


def stats_summary(msg, fields: list[Field]) -> str:
    v = View(fields)
    mask = v.h.get("filter_mask")
    what = " ".join(n.removeprefix("IFLA_STATS_") for n in (mask.meta if mask is not None else []))
    if is_dump_request(msg):
        return dump_line(msg, v, what)
    parts = [msg.type_name]
    if v.hv("ifindex"):
        parts.append(f"dev {v.hv('ifindex')}")
    s64 = v.a.get("IFLA_STATS_LINK_64")
    if s64 is not None and s64.get("tx_bytes") is not None:  # counters may be cut short
        parts.append(f"rx {s64.get('rx_packets').value} pkts {s64.get('rx_bytes').value} bytes "
                     f"tx {s64.get('tx_packets').value} pkts {s64.get('tx_bytes').value} bytes")
    elif what:
        parts.append(what)
    if len(parts) == 1:
        parts.append("all devices")
    return " ".join(parts)


def _stats_request_attrs(fields: list[Field]) -> AttrSet:
    return STATS_FILTER_ATTRS


MESSAGES = {
    16: message("RTM_NEWLINK", IFINFOMSG, ifla_for, link_summary),
    17: message("RTM_DELLINK", IFINFOMSG, ifla_for, link_summary),
    18: message("RTM_GETLINK", IFINFOMSG, ifla_for, link_summary),
    19: message("RTM_SETLINK", IFINFOMSG, ifla_for, link_summary),
    108: message("RTM_NEWLINKPROP", IFINFOMSG, ifla_for, linkprop_summary),
    109: message("RTM_DELLINKPROP", IFINFOMSG, ifla_for, linkprop_summary),
    110: message("RTM_GETLINKPROP", IFINFOMSG, ifla_for, linkprop_summary),
    92: message("RTM_NEWSTATS", IF_STATS_MSG, stats_attrs, stats_summary),
    94: message("RTM_GETSTATS", IF_STATS_MSG, _stats_request_attrs, stats_summary),
    95: message("RTM_SETSTATS", IF_STATS_MSG, _stats_request_attrs, stats_summary),
}
