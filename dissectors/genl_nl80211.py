"""nl80211 (generic netlink family "nl80211"): wireless configuration, linux/nl80211.h.

Every command and every NL80211_ATTR_* is named (tables in genl_nl80211_tables.py);
the attributes iw and wpa_supplicant use have types, and the nests a wiphy dump, a
scan dump, a station dump and a regulatory dump carry (bands, frequencies, bitrates,
interface combinations, BSS, station info, rate info, reg rules, ...) are walked.
Other attributes show as named raw bytes.

Commands that carry keys (NEW_KEY, SET_PMK, ...: NL80211_FLAG_CLEAR_SKB) have their
request zeroed by the kernel after handling it (nl80211_post_doit, so no key stays in
freed memory); an error then echoes the header and zeros, which read as cmd 0 (UNSPEC).
That wiped payload is shown as such; the transaction names the request it answers.
"""
from __future__ import annotations

import construct as cs

from nlscope.decode.model import Field
from nlscope.decode.nla import Attr, AttrSet, FixedHeader, child_count, walk_attrs
from nlscope.decode.registry import DecodeCtx

from . import genl_nl80211_tables as T
from .genl import (GENL_HDRLEN, GENLMSGHDR, GenlFamily, IndexSet, K, add_family, attrs_of, bit_names,
                   flag_set, join, table_set)

# IEEE 802.11 cipher suite selectors (OUI 00-0F-AC, and SMS4).
CIPHERS = {0x000FAC01: "WEP40", 0x000FAC02: "TKIP", 0x000FAC04: "CCMP", 0x000FAC05: "WEP104",
           0x000FAC06: "AES-CMAC", 0x000FAC08: "GCMP", 0x000FAC09: "GCMP-256",
           0x000FAC0A: "CCMP-256", 0x000FAC0B: "BIP-GMAC-128", 0x000FAC0C: "BIP-GMAC-256",
           0x000FAC0D: "BIP-CMAC-256", 0x00147201: "SMS4"}


def _mbm(v: int) -> str:
    return f"{v / 100:.2f} dBm"


def _dbm(v: int) -> str:
    return f"{v} dBm"


def _rate100k(v: int) -> str:
    return f"{v / 10:.1f} MBit/s"


def _mhz(v: int) -> str:
    return f"{v} MHz"


def _khz(v: int) -> str:
    return f"{v} kHz"


def _hex(v: int) -> str:
    return f"0x{v:04x}"


def _ms(v: int) -> str:
    return f"{v} ms"


IFTYPE_FLAGS = flag_set("nl80211-iftypes", "NL80211_IFTYPE_", T.IFTYPES)
STA_FLAG_NEST = flag_set("nl80211-sta-flags", "NL80211_STA_FLAG_", T.STA_FLAGS)
MNTR_FLAG_NEST = flag_set("nl80211-mntr-flags", "NL80211_MNTR_FLAG_", T.MNTR_FLAGS)
KEY_DEFAULT_TYPE_NEST = flag_set("nl80211-key-default-types", "NL80211_KEY_DEFAULT_TYPE_",
                                 T.KEY_DEFAULT_TYPES)
STA_FLAG_BITS = bit_names(T.STA_FLAGS)
EXT_FEATURE_NAMES = T.EXT_FEATURES

# struct nl80211_sta_flag_update { __u32 mask; __u32 set; }, bits are 1 << flag
STA_FLAG_UPDATE = FixedHeader("nl80211_sta_flag_update",
                              cs.Struct("mask" / cs.Int32un, "set" / cs.Int32un),
                              flags={"mask": STA_FLAG_BITS, "set": STA_FLAG_BITS})

RATE_INFO = table_set("nl80211-rate-info", "NL80211_RATE_INFO_", T.RATE_INFO, {
    "BITRATE": K("u16", fmt=_rate100k), "BITRATE32": K("u32", fmt=_rate100k),
    "MCS": "u8", "VHT_MCS": "u8", "VHT_NSS": "u8", "HE_MCS": "u8", "HE_NSS": "u8",
    "HE_GI": K("u8", enum=T.HE_GI), "HE_DCM": "u8", "HE_RU_ALLOC": "u8",
    "EHT_MCS": "u8", "EHT_NSS": "u8", "EHT_GI": K("u8", enum=T.EHT_GI), "EHT_RU_ALLOC": "u8",
    "S1G_MCS": "u8", "S1G_NSS": "u8",
}, default="flag")  # the rest: SHORT_GI and the *_WIDTH flags

STA_BSS_PARAM = table_set("nl80211-sta-bss-param", "NL80211_STA_BSS_PARAM_", T.STA_BSS_PARAM, {
    "CTS_PROT": "flag", "SHORT_PREAMBLE": "flag", "SHORT_SLOT_TIME": "flag",
    "DTIM_PERIOD": "u8", "BEACON_INTERVAL": "u16",
})
TXQ_STATS = table_set("nl80211-txq-stats", "NL80211_TXQ_STATS_", T.TXQ_STATS,
                      {n: "u32" for n in T.TXQ_STATS.values() if n != "PAD"})
TID_STATS = table_set("nl80211-tid-stats", "NL80211_TID_STATS_", T.TID_STATS, {
    "RX_MSDU": "u64", "TX_MSDU": "u64", "TX_MSDU_RETRIES": "u64", "TX_MSDU_FAILED": "u64",
    "TXQ_STATS": K("nested", nested=TXQ_STATS),
})
CHAIN_SIGNAL = IndexSet("nl80211-chain-signal", lambda t: Attr(str(t), "s8", fmt=_dbm))
TID_NEST = IndexSet("nl80211-tids", lambda t: Attr(str(t), "nested", nested=TID_STATS))

STA_INFO = table_set("nl80211-sta-info", "NL80211_STA_INFO_", T.STA_INFO, {
    "INACTIVE_TIME": K("u32", fmt=_ms), "RX_BYTES": "u32", "TX_BYTES": "u32",
    "LLID": "u16", "PLID": "u16", "PLINK_STATE": K("u8", enum=T.PLINK_STATE),
    "SIGNAL": K("s8", fmt=_dbm), "TX_BITRATE": K("nested", nested=RATE_INFO),
    "RX_PACKETS": "u32", "TX_PACKETS": "u32", "TX_RETRIES": "u32", "TX_FAILED": "u32",
    "SIGNAL_AVG": K("s8", fmt=_dbm), "RX_BITRATE": K("nested", nested=RATE_INFO),
    "BSS_PARAM": K("nested", nested=STA_BSS_PARAM), "CONNECTED_TIME": "u32",
    "STA_FLAGS": K("struct", struct=STA_FLAG_UPDATE), "BEACON_LOSS": "u32",
    "T_OFFSET": "s64", "LOCAL_PM": K("u32", enum=T.MESH_POWER),
    "PEER_PM": K("u32", enum=T.MESH_POWER), "NONPEER_PM": K("u32", enum=T.MESH_POWER),
    "RX_BYTES64": "u64", "TX_BYTES64": "u64",
    "CHAIN_SIGNAL": K("nested", nested=CHAIN_SIGNAL),
    "CHAIN_SIGNAL_AVG": K("nested", nested=CHAIN_SIGNAL),
    "EXPECTED_THROUGHPUT": "u32", "RX_DROP_MISC": "u64", "BEACON_RX": "u64",
    "BEACON_SIGNAL_AVG": K("s8", fmt=_dbm), "TID_STATS": K("nested", nested=TID_NEST),
    "RX_DURATION": "u64", "ACK_SIGNAL": K("s8", fmt=_dbm), "ACK_SIGNAL_AVG": K("s8", fmt=_dbm),
    "RX_MPDUS": "u32", "FCS_ERROR_COUNT": "u32", "CONNECTED_TO_GATE": "u8",
    "TX_DURATION": "u64", "AIRTIME_WEIGHT": "u16", "AIRTIME_LINK_METRIC": "u32",
    "ASSOC_AT_BOOTTIME": "u64", "CONNECTED_TO_AS": "u8",
})

MPATH_INFO = table_set("nl80211-mpath-info", "NL80211_MPATH_INFO_", T.MPATH_INFO, {
    "FRAME_QLEN": "u32", "SN": "u32", "METRIC": "u32", "EXPTIME": "u32", "FLAGS": "u8",
    "DISCOVERY_TIMEOUT": "u32", "DISCOVERY_RETRIES": "u8", "HOP_COUNT": "u8",
    "PATH_CHANGE": "u32",
})

WMM_RULE = table_set("nl80211-wmm-rule", "NL80211_WMMR_", T.WMMR, {
    "CW_MIN": "u16", "CW_MAX": "u16", "AIFSN": "u8", "TXOP": "u16"})
FREQ_ATTR = table_set("nl80211-frequency", "NL80211_FREQUENCY_ATTR_", T.FREQ_ATTR, {
    "FREQ": K("u32", fmt=_mhz), "MAX_TX_POWER": K("u32", fmt=_mbm),
    "DFS_STATE": K("u32", enum=T.DFS_STATE), "DFS_TIME": K("u32", fmt=_ms),
    "DFS_CAC_TIME": K("u32", fmt=_ms), "WMM": K("nested-array", nested=WMM_RULE),
    "OFFSET": K("u32", fmt=_khz), "PSD": "s8",
}, default="flag")
# type 4 is the header's __NL80211_FREQUENCY_ATTR_NO_IBSS (still sent beside NO_IR)
FREQ_ATTR.attrs[4] = Attr("__NL80211_FREQUENCY_ATTR_NO_IBSS", "flag")
BITRATE_ATTR = table_set("nl80211-bitrate", "NL80211_BITRATE_ATTR_", T.BITRATE_ATTR, {
    "RATE": K("u32", fmt=_rate100k), "2GHZ_SHORTPREAMBLE": "flag"})
BAND_IFTYPE = table_set("nl80211-band-iftype", "NL80211_BAND_IFTYPE_ATTR_", T.BAND_IFTYPE, {
    "IFTYPES": K("nested", nested=IFTYPE_FLAGS), "HE_6GHZ_CAPA": "u16"})
BAND_ATTR = table_set("nl80211-band", "NL80211_BAND_ATTR_", T.BAND_ATTR, {
    "FREQS": K("nested-array", nested=FREQ_ATTR), "RATES": K("nested-array", nested=BITRATE_ATTR),
    "HT_CAPA": K("u16", fmt=_hex), "HT_AMPDU_FACTOR": "u8", "HT_AMPDU_DENSITY": "u8",
    "VHT_CAPA": "u32", "IFTYPE_DATA": K("nested-array", nested=BAND_IFTYPE),
    "EDMG_CHANNELS": "u8", "EDMG_BW_CONFIG": "u8",
})
BANDS = IndexSet("nl80211-bands", lambda t: Attr("NL80211_BAND_" + T.BANDS.get(t, str(t)),
                                                  "nested", nested=BAND_ATTR))

REG_RULE = table_set("nl80211-reg-rule", "NL80211_", T.REG_RULE_ATTR, {
    "ATTR_REG_RULE_FLAGS": K("u32", flags=T.RRF), "ATTR_FREQ_RANGE_START": K("u32", fmt=_khz),
    "ATTR_FREQ_RANGE_END": K("u32", fmt=_khz), "ATTR_FREQ_RANGE_MAX_BW": K("u32", fmt=_khz),
    "ATTR_POWER_RULE_MAX_ANT_GAIN": K("u32", fmt=_mbm), "ATTR_POWER_RULE_MAX_EIRP": K("u32", fmt=_mbm),
    "ATTR_DFS_CAC_TIME": K("u32", fmt=_ms), "ATTR_POWER_RULE_PSD": "s8",
})
SURVEY_INFO = table_set("nl80211-survey", "NL80211_SURVEY_INFO_", T.SURVEY_INFO, {
    "FREQUENCY": K("u32", fmt=_mhz), "NOISE": K("s8", fmt=_dbm), "IN_USE": "flag",
    "TIME": "u64", "TIME_BUSY": "u64", "TIME_EXT_BUSY": "u64", "TIME_RX": "u64", "TIME_TX": "u64",
    "TIME_SCAN": "u64", "TIME_BSS_RX": "u64", "FREQUENCY_OFFSET": "u32",
})
TXQ_ATTR = table_set("nl80211-txq", "NL80211_TXQ_ATTR_", T.TXQ_ATTR, {
    "AC": K("u8", enum=T.ACS), "TXOP": "u16", "CWMIN": "u16", "CWMAX": "u16", "AIFS": "u8"})
KEY_ATTR = table_set("nl80211-key", "NL80211_KEY_", T.KEY_ATTR, {
    "IDX": "u8", "CIPHER": K("u32", enum=CIPHERS), "DEFAULT": "flag", "DEFAULT_MGMT": "flag",
    "TYPE": K("u32", enum=T.KEY_TYPE), "DEFAULT_TYPES": K("nested", nested=KEY_DEFAULT_TYPE_NEST),
    "MODE": K("u8", enum=T.KEY_MODE), "DEFAULT_BEACON": "flag",
})
BSS_CHAIN_SIGNAL = CHAIN_SIGNAL
BSS = table_set("nl80211-bss", "NL80211_BSS_", T.BSS, {
    "BSSID": "mac", "FREQUENCY": K("u32", fmt=_mhz), "TSF": "u64", "BEACON_INTERVAL": "u16",
    "CAPABILITY": K("u16", fmt=_hex), "SIGNAL_MBM": K("s32", fmt=_mbm), "SIGNAL_UNSPEC": "u8",
    "STATUS": K("u32", enum=T.BSS_STATUS), "SEEN_MS_AGO": K("u32", fmt=_ms),
    "CHAN_WIDTH": K("u32", enum=T.BSS_CHAN_WIDTH), "BEACON_TSF": "u64", "PRESP_DATA": "flag",
    "LAST_SEEN_BOOTTIME": "u64", "PARENT_TSF": "u64", "PARENT_BSSID": "mac",
    "CHAIN_SIGNAL": K("nested", nested=BSS_CHAIN_SIGNAL), "FREQUENCY_OFFSET": K("u32", fmt=_khz),
    "MLO_LINK_ID": "u8", "MLD_ADDR": "mac", "USE_FOR": "u32", "CANNOT_USE_REASONS": "u64",
})
IFACE_LIMIT = table_set("nl80211-iface-limit", "NL80211_IFACE_LIMIT_", T.IFACE_LIMIT, {
    "MAX": "u32", "TYPES": K("nested", nested=IFTYPE_FLAGS)})
IFACE_COMB = table_set("nl80211-iface-comb", "NL80211_IFACE_COMB_", T.IFACE_COMB, {
    "LIMITS": K("nested-array", nested=IFACE_LIMIT), "MAXNUM": "u32", "STA_AP_BI_MATCH": "flag",
    "NUM_CHANNELS": "u32", "RADAR_DETECT_WIDTHS": "u32", "RADAR_DETECT_REGIONS": "u32",
    "BI_MIN_GCD": "u32",
})
WOWLAN_TRIG = table_set("nl80211-wowlan-triggers", "NL80211_WOWLAN_TRIG_", T.WOWLAN_TRIG, {
    "ANY": "flag", "DISCONNECT": "flag", "MAGIC_PKT": "flag", "GTK_REKEY_SUPPORTED": "flag",
    "GTK_REKEY_FAILURE": "flag", "EAP_IDENT_REQUEST": "flag", "4WAY_HANDSHAKE": "flag",
    "RFKILL_RELEASE": "flag", "WAKEUP_PKT_80211_LEN": "u32", "WAKEUP_PKT_8023_LEN": "u32",
    "WAKEUP_TCP_MATCH": "flag", "WAKEUP_TCP_CONNLOST": "flag", "WAKEUP_TCP_NOMORETOKENS": "flag",
    "NET_DETECT": "u32",
})
IFTYPE_AKM = table_set("nl80211-iftype-akm", "NL80211_IFTYPE_AKM_ATTR_", T.IFTYPE_AKM, {
    "IFTYPES": K("nested", nested=IFTYPE_FLAGS), "SUITES": "u32-array"})
PMSR_FTM_CAPA = table_set("nl80211-pmsr-ftm-capa", "NL80211_PMSR_FTM_CAPA_ATTR_", T.PMSR_FTM_CAPA, {
    "PREAMBLES": K("u32", flags=bit_names(T.PREAMBLE)), "BANDWIDTHS": K("u32", flags=bit_names(T.CHAN_WIDTH)),
    "MAX_BURSTS_EXPONENT": "u32", "MAX_FTMS_PER_BURST": "u32",
}, default="flag")
PMSR_TYPE_CAPA = IndexSet("nl80211-pmsr-types", lambda t: Attr(
    "NL80211_PMSR_TYPE_" + T.PMSR_TYPE.get(t, str(t)), "nested",
    nested=PMSR_FTM_CAPA if t == 1 else None))
PMSR_ATTR = table_set("nl80211-pmsr", "NL80211_PMSR_ATTR_", T.PMSR_ATTR, {
    "MAX_PEERS": "u32", "REPORT_AP_TSF": "flag", "RANDOMIZE_MAC_ADDR": "flag",
    "TYPE_CAPA": K("nested", nested=PMSR_TYPE_CAPA)})
SAR_SPECS = table_set("nl80211-sar-specs", "NL80211_SAR_ATTR_SPECS_", T.SAR_SPECS, {
    "POWER": "s32", "RANGE_INDEX": "u32", "START_FREQ": K("u32", fmt=_khz),
    "END_FREQ": K("u32", fmt=_khz)})
SAR_ATTR = table_set("nl80211-sar", "NL80211_SAR_ATTR_", T.SAR_ATTR, {
    "TYPE": K("u32", enum=T.SAR_TYPE), "SPECS": K("nested-array", nested=SAR_SPECS)})
MBSSID_CONFIG = table_set("nl80211-mbssid", "NL80211_MBSSID_CONFIG_ATTR_", T.MBSSID_CONFIG, {
    "MAX_INTERFACES": "u8", "MAX_EMA_PROFILE_PERIODICITY": "u8", "INDEX": "u8",
    "TX_IFINDEX": "u32", "EMA": "flag"})
BSS_SELECT = table_set("nl80211-bss-select", "NL80211_BSS_SELECT_ATTR_", T.BSS_SELECT, {
    "RSSI": "flag", "BAND_PREF": K("u32", enum=T.BANDS)})
RADIO_FREQ = table_set("nl80211-radio-freq", "NL80211_WIPHY_RADIO_FREQ_ATTR_", T.WIPHY_RADIO_FREQ, {
    "START": K("u32", fmt=_khz), "END": K("u32", fmt=_khz)})
WIPHY_RADIO = table_set("nl80211-wiphy-radio", "NL80211_WIPHY_RADIO_ATTR_", T.WIPHY_RADIO, {
    "INDEX": "u32", "FREQ_RANGE": K("nested", nested=RADIO_FREQ),
    "INTERFACE_COMBINATION": K("nested", nested=IFACE_COMB)})
CQM = table_set("nl80211-cqm", "NL80211_ATTR_CQM_", T.CQM, {
    "RSSI_THOLD": "s32", "RSSI_HYST": "u32",
    "RSSI_THRESHOLD_EVENT": K("u32", enum=T.CQM_RSSI_EVENT), "PKT_LOSS_EVENT": "u32",
    "TXE_RATE": "u32", "TXE_PKTS": "u32", "TXE_INTVL": "u32", "BEACON_LOSS_EVENT": "flag",
    "RSSI_LEVEL": "s32"})
# the GTK rekey offload (SET_REKEY_OFFLOAD): keys and replay counter are opaque bytes
# (nl80211.c rekey_policy: KEK/KCK binary, REPLAY_CTR exactly 8 bytes, AKM an OUI suite u32)
REKEY_DATA = table_set("nl80211-rekey-data", "NL80211_REKEY_DATA_", T.REKEY_DATA, {
    "KEK": "binary", "KCK": "binary", "REPLAY_CTR": "binary", "AKM": K("u32", fmt=_hex)})
STA_WME = table_set("nl80211-sta-wme", "NL80211_STA_WME_", T.STA_WME, {
    "UAPSD_QUEUES": "u8", "MAX_SP": "u8"})
MESHCONF = table_set("nl80211-meshconf", "NL80211_MESHCONF_", T.MESHCONF, {
    "RETRY_TIMEOUT": "u16", "CONFIRM_TIMEOUT": "u16", "HOLDING_TIMEOUT": "u16",
    "MAX_PEER_LINKS": "u16", "MAX_RETRIES": "u8", "TTL": "u8", "AUTO_OPEN_PLINKS": "u8",
    "HWMP_MAX_PREQ_RETRIES": "u8", "PATH_REFRESH_TIME": "u32",
    "MIN_DISCOVERY_TIMEOUT": "u16", "HWMP_ACTIVE_PATH_TIMEOUT": "u32",
    "HWMP_PREQ_MIN_INTERVAL": "u16", "HWMP_NET_DIAM_TRVS_TIME": "u16", "HWMP_ROOTMODE": "u8",
    "ELEMENT_TTL": "u8", "HWMP_RANN_INTERVAL": "u16", "GATE_ANNOUNCEMENTS": "u8",
    "HWMP_PERR_MIN_INTERVAL": "u16", "FORWARDING": "u8", "RSSI_THRESHOLD": "s32",
    "SYNC_OFFSET_MAX_NEIGHBOR": "u32", "HT_OPMODE": "u16",
    "HWMP_PATH_TO_ROOT_TIMEOUT": "u32", "HWMP_ROOT_INTERVAL": "u16",
    "HWMP_CONFIRMATION_INTERVAL": "u16", "POWER_MODE": K("u32", enum=T.MESH_POWER),
    "AWAKE_WINDOW": "u16", "PLINK_TIMEOUT": "u32", "CONNECTED_TO_GATE": "u8",
    "NOLEARN": "u8", "CONNECTED_TO_AS": "u8"})

FRAME_TYPE_NEST = AttrSet("nl80211-frame-types", {101: Attr("NL80211_ATTR_FRAME_TYPE", "u16", fmt=_hex)})
FRAME_TYPES = IndexSet("nl80211-frame-types-by-iftype", lambda t: Attr(
    "NL80211_IFTYPE_" + T.IFTYPES.get(t, str(t)), "nested", nested=FRAME_TYPE_NEST))
SUPPORTED_COMMANDS = IndexSet("nl80211-commands", lambda t: Attr(str(t), "u32", enum=T.CMDS))
FREQ_LIST = IndexSet("nl80211-freqs", lambda t: Attr(str(t), "u32", fmt=_mhz))
SSID_LIST = IndexSet("nl80211-ssids", lambda t: Attr(str(t), "binary"))
MAC_LIST = IndexSet("nl80211-macs", lambda t: Attr(str(t), "mac"))
TX_RATES = IndexSet("nl80211-tx-rates", lambda t: Attr(
    "NL80211_BAND_" + T.BANDS.get(t, str(t)), "nested",
    nested=table_set("nl80211-txrate", "NL80211_TXRATE_", T.TXRATE, {"GI": K("u8", enum=T.TXRATE_GI)})))


def _main_attrs(siblings: list[Field]) -> AttrSet:
    """Nests in the top-level attribute space (CSA_IES, the entries of IFTYPE_EXT_CAPA
    and MLO_LINKS). The engine calls a nested table as nested(siblings decoded so far);
    ATTRS is defined below, hence a callable."""
    return ATTRS


ATTRS = table_set("nl80211", "NL80211_ATTR_", T.ATTR_NAMES, {
    "WIPHY": "u32", "WIPHY_NAME": "string", "IFINDEX": "u32", "IFNAME": "string",
    "IFTYPE": K("u32", enum=T.IFTYPES), "MAC": "mac", "KEY_IDX": "u8",
    "KEY_CIPHER": K("u32", enum=CIPHERS), "KEY_DEFAULT": "flag", "BEACON_INTERVAL": "u32",
    "DTIM_PERIOD": "u32", "STA_AID": "u16", "STA_FLAGS": K("nested", nested=STA_FLAG_NEST),
    "STA_LISTEN_INTERVAL": "u16", "STA_VLAN": "u32", "STA_INFO": K("nested", nested=STA_INFO),
    "WIPHY_BANDS": K("nested", nested=BANDS), "MNTR_FLAGS": K("nested", nested=MNTR_FLAG_NEST),
    "STA_PLINK_ACTION": K("u8", enum=T.PLINK_ACTION), "MPATH_NEXT_HOP": "mac",
    "MPATH_INFO": K("nested", nested=MPATH_INFO), "BSS_CTS_PROT": "u8",
    "BSS_SHORT_PREAMBLE": "u8", "BSS_SHORT_SLOT_TIME": "u8",
    "SUPPORTED_IFTYPES": K("nested", nested=IFTYPE_FLAGS), "REG_ALPHA2": "string",
    "REG_RULES": K("nested-array", nested=REG_RULE), "MESH_CONFIG": K("nested", nested=MESHCONF),
    "WIPHY_TXQ_PARAMS": K("nested-array", nested=TXQ_ATTR), "WIPHY_FREQ": K("u32", fmt=_mhz),
    "WIPHY_CHANNEL_TYPE": K("u32", enum=T.CHANNEL_TYPE), "KEY_DEFAULT_MGMT": "flag",
    "MGMT_SUBTYPE": "u8", "MAX_NUM_SCAN_SSIDS": "u8",
    "GENERATION": "u32", "BSS": K("nested", nested=BSS), "REG_INITIATOR": K("u8", enum=T.REG_INITIATOR),
    "REG_TYPE": K("u8", enum=T.REG_TYPE), "SUPPORTED_COMMANDS": K("nested", nested=SUPPORTED_COMMANDS),
    "AUTH_TYPE": K("u32", enum=T.AUTH_TYPE), "REASON_CODE": "u16",
    "KEY_TYPE": K("u32", enum=T.KEY_TYPE), "MAX_SCAN_IE_LEN": "u16", "CIPHER_SUITES": "u32-array",
    "FREQ_BEFORE": K("nested", nested=FREQ_ATTR), "FREQ_AFTER": K("nested", nested=FREQ_ATTR),
    "FREQ_FIXED": "flag", "WIPHY_RETRY_SHORT": "u8", "WIPHY_RETRY_LONG": "u8",
    "WIPHY_FRAG_THRESHOLD": "u32", "WIPHY_RTS_THRESHOLD": "u32", "TIMED_OUT": "flag",
    "USE_MFP": K("u32", enum=T.MFP), "STA_FLAGS2": K("struct", struct=STA_FLAG_UPDATE),
    "CONTROL_PORT": "flag", "PRIVACY": "flag", "DISCONNECTED_BY_AP": "flag",
    "STATUS_CODE": "u16", "CIPHER_SUITES_PAIRWISE": "u32-array",
    "CIPHER_SUITE_GROUP": K("u32", enum=CIPHERS), "WPA_VERSIONS": K("u32", flags=T.WPA_VERSIONS),
    "AKM_SUITES": "u32-array", "PREV_BSSID": "mac", "KEY": K("nested", nested=KEY_ATTR),
    "KEYS": K("nested-array", nested=KEY_ATTR), "PID": "u32", "4ADDR": "u8",
    "SURVEY_INFO": K("nested", nested=SURVEY_INFO), "MAX_NUM_PMKIDS": "u8",
    "DURATION": K("u32", fmt=_ms), "COOKIE": "u64", "WIPHY_COVERAGE_CLASS": "u8",
    "TX_RATES": K("nested", nested=TX_RATES), "FRAME_TYPE": K("u16", fmt=_hex), "ACK": "flag",
    "PS_STATE": K("u32", enum=T.PS_STATE), "CQM": K("nested", nested=CQM),
    "REKEY_DATA": K("nested", nested=REKEY_DATA),
    "LOCAL_STATE_CHANGE": "flag", "AP_ISOLATE": "u8",
    "WIPHY_TX_POWER_SETTING": K("u32", enum=T.TX_POWER_SETTING),
    "WIPHY_TX_POWER_LEVEL": K("s32", fmt=_mbm),
    "TX_FRAME_TYPES": K("nested", nested=FRAME_TYPES), "RX_FRAME_TYPES": K("nested", nested=FRAME_TYPES),
    "CONTROL_PORT_ETHERTYPE": K("u16", fmt=_hex), "CONTROL_PORT_NO_ENCRYPT": "flag",
    "SUPPORT_IBSS_RSN": "flag", "WIPHY_ANTENNA_TX": "u32", "WIPHY_ANTENNA_RX": "u32",
    "MCAST_RATE": "u32", "OFFCHANNEL_TX_OK": "flag", "BSS_HT_OPMODE": "u16",
    "KEY_DEFAULT_TYPES": K("nested", nested=KEY_DEFAULT_TYPE_NEST),
    "MAX_REMAIN_ON_CHANNEL_DURATION": K("u32", fmt=_ms),
    "WIPHY_ANTENNA_AVAIL_TX": "u32", "WIPHY_ANTENNA_AVAIL_RX": "u32",
    "SUPPORT_MESH_AUTH": "flag", "STA_PLINK_STATE": K("u8", enum=T.PLINK_STATE),
    "WOWLAN_TRIGGERS": K("nested", nested=WOWLAN_TRIG),
    "WOWLAN_TRIGGERS_SUPPORTED": K("nested", nested=WOWLAN_TRIG),
    "SCHED_SCAN_INTERVAL": K("u32", fmt=_ms),
    "INTERFACE_COMBINATIONS": K("nested-array", nested=IFACE_COMB),
    "SOFTWARE_IFTYPES": K("nested", nested=IFTYPE_FLAGS), "MAX_NUM_SCHED_SCAN_SSIDS": "u8",
    "MAX_SCHED_SCAN_IE_LEN": "u16", "HIDDEN_SSID": K("u32", enum=T.HIDDEN_SSID),
    "STA_WME": K("nested", nested=STA_WME), "SUPPORT_AP_UAPSD": "flag", "ROAM_SUPPORT": "flag",
    "MAX_MATCH_SETS": "u8", "TX_NO_CCK_RATE": "flag", "TDLS_ACTION": "u8",
    "TDLS_DIALOG_TOKEN": "u8", "TDLS_OPERATION": K("u8", enum=T.TDLS_OPERATION),
    "TDLS_SUPPORT": "flag", "TDLS_EXTERNAL_SETUP": "flag", "DEVICE_AP_SME": K("u32", flags=T.AP_SME_FEATURES),
    "DONT_WAIT_FOR_ACK": "flag", "FEATURE_FLAGS": K("u32", flags=T.FEATURE_FLAGS),
    "PROBE_RESP_OFFLOAD": K("u32", flags=T.PROBE_RESP_OFFLOAD),
    "DFS_REGION": K("u8", enum=T.DFS_REGIONS), "DISABLE_HT": "flag", "NOACK_MAP": "u16",
    "INACTIVITY_TIMEOUT": "u16", "RX_SIGNAL_DBM": K("s32", fmt=_dbm), "BG_SCAN_PERIOD": "u16",
    "WDEV": "u64", "USER_REG_HINT_TYPE": K("u32", enum=T.USER_REG_HINT),
    "CONN_FAILED_REASON": K("u32", enum=T.CONN_FAIL), "SCAN_FLAGS": K("u32", flags=T.SCAN_FLAGS),
    "CHANNEL_WIDTH": K("u32", enum=T.CHAN_WIDTH), "CENTER_FREQ1": K("u32", fmt=_mhz),
    "CENTER_FREQ2": K("u32", fmt=_mhz), "P2P_CTWINDOW": "u8", "P2P_OPPPS": "u8",
    "LOCAL_MESH_POWER_MODE": K("u32", enum=T.MESH_POWER), "ACL_POLICY": K("u32", enum=T.ACL_POLICY),
    "MAC_ADDRS": K("nested", nested=MAC_LIST), "MAC_ACL_MAX": "u32",
    "RADAR_EVENT": K("u32", enum=T.RADAR_EVENT), "STA_CAPABILITY": K("u16", fmt=_hex),
    "PROTOCOL_FEATURES": K("u32", flags=T.PROTOCOL_FEATURES), "SPLIT_WIPHY_DUMP": "flag",
    "DISABLE_VHT": "flag", "MDID": "u16", "CRIT_PROT_ID": K("u16", enum=T.CRIT_PROTO),
    "MAX_CRIT_PROT_DURATION": "u16", "PEER_AID": "u16", "CH_SWITCH_COUNT": "u32",
    "CH_SWITCH_BLOCK_TX": "flag", "CSA_IES": K("nested", nested=_main_attrs),
    "RXMGMT_FLAGS": K("u32", flags=T.RXMGMT_FLAGS), "HANDLE_DFS": "flag",
    "SUPPORT_5_MHZ": "flag", "SUPPORT_10_MHZ": "flag", "OPMODE_NOTIF": "u8",
    "VENDOR_ID": K("u32", fmt=lambda v: f"0x{v:06x}"), "VENDOR_SUBCMD": "u32",
    "MAC_HINT": "mac", "WIPHY_FREQ_HINT": K("u32", fmt=_mhz), "MAX_AP_ASSOC_STA": "u32",
    "TDLS_PEER_CAPABILITY": "u32", "SOCKET_OWNER": "flag", "MAX_CSA_COUNTERS": "u8",
    "TDLS_INITIATOR": "flag", "USE_RRM": "flag", "WIPHY_DYN_ACK": "flag", "TSID": "u8",
    "USER_PRIO": "u8", "ADMITTED_TIME": "u16", "SMPS_MODE": K("u8", enum=T.SMPS_MODE),
    "OPER_CLASS": "u8", "MAC_MASK": "mac", "WIPHY_SELF_MANAGED_REG": "flag",
    "SURVEY_RADIO_STATS": "flag", "NETNS_FD": "u32", "SCHED_SCAN_DELAY": "u32",
    "REG_INDOOR": "flag", "MAX_NUM_SCHED_SCAN_PLANS": "u32", "MAX_SCAN_PLAN_INTERVAL": "u32",
    "MAX_SCAN_PLAN_ITERATIONS": "u32", "PBSS": "flag", "BSS_SELECT": K("nested", nested=BSS_SELECT),
    "STA_SUPPORT_P2P_PS": "u8", "IFTYPE_EXT_CAPA": K("nested-array", nested=_main_attrs),
    "MU_MIMO_FOLLOW_MAC_ADDR": "mac", "SCAN_START_TIME_TSF": "u64",
    "SCAN_START_TIME_TSF_BSSID": "mac", "MEASUREMENT_DURATION": "u16",
    "MEASUREMENT_DURATION_MANDATORY": "flag", "MESH_PEER_AID": "u16", "NAN_MASTER_PREF": "u8",
    "BANDS": K("u32", flags=bit_names(T.BANDS)), "MULTICAST_TO_UNICAST_ENABLED": "flag",
    "BSSID": "mac", "SCHED_SCAN_RELATIVE_RSSI": "s8",
    "TIMEOUT_REASON": K("u32", enum=T.TIMEOUT_REASON), "FILS_ERP_NEXT_SEQ_NUM": "u16",
    "SCHED_SCAN_MULTI": "flag", "SCHED_SCAN_MAX_REQS": "u32", "WANT_1X_4WAY_HS": "flag",
    "EXTERNAL_AUTH_ACTION": K("u32", enum=T.EXTERNAL_AUTH), "EXTERNAL_AUTH_SUPPORT": "flag",
    "NSS": "u8", "ACK_SIGNAL": K("s32", fmt=_dbm), "CONTROL_PORT_OVER_NL80211": "flag",
    "TXQ_STATS": K("nested", nested=TXQ_STATS), "TXQ_LIMIT": "u32", "TXQ_MEMORY_LIMIT": "u32",
    "TXQ_QUANTUM": "u32", "TIMEOUT": "u32", "PEER_MEASUREMENTS": K("nested", nested=PMSR_ATTR),
    "AIRTIME_WEIGHT": "u16", "STA_TX_POWER_SETTING": K("u8", enum=T.TX_POWER_SETTING),
    "STA_TX_POWER": "s16", "TWT_RESPONDER": "flag", "WIPHY_EDMG_CHANNELS": "u8",
    "WIPHY_EDMG_BW_CONFIG": "u8", "VLAN_ID": "u16",
    "IFTYPE_AKM_SUITES": K("nested-array", nested=IFTYPE_AKM), "CONTROL_PORT_NO_PREAUTH": "flag",
    "PMK_LIFETIME": "u32", "PMK_REAUTH_THRESHOLD": "u8", "RECEIVE_MULTICAST": "flag",
    "WIPHY_FREQ_OFFSET": K("u32", fmt=_khz), "CENTER_FREQ1_OFFSET": K("u32", fmt=_khz),
    "SCAN_FREQ_KHZ": K("nested", nested=IndexSet("nl80211-freqs-khz", lambda t: Attr(
        str(t), "u32", fmt=_khz))),
    "SAE_PWE": K("u8", enum=T.SAE_PWE), "RECONNECT_REQUESTED": "flag",
    "SAR_SPEC": K("nested", nested=SAR_ATTR), "DISABLE_HE": "flag", "OBSS_COLOR_BITMAP": "u64",
    "COLOR_CHANGE_COUNT": "u8", "COLOR_CHANGE_COLOR": "u8",
    "MBSSID_CONFIG": K("nested", nested=MBSSID_CONFIG), "RADAR_BACKGROUND": "flag",
    "AP_SETTINGS_FLAGS": K("u32", flags=T.AP_SETTINGS_FLAGS), "DISABLE_EHT": "flag",
    "MLO_LINKS": K("nested-array", nested=_main_attrs), "MLO_LINK_ID": "u8", "MLD_ADDR": "mac",
    "MLO_SUPPORT": "flag", "MAX_NUM_AKM_SUITES": "u16", "EML_CAPABILITY": "u16",
    "MLD_CAPA_AND_OPS": "u16", "TX_HW_TIMESTAMP": "u64", "RX_HW_TIMESTAMP": "u64",
    "PUNCT_BITMAP": "u32", "MAX_HW_TIMESTAMP_PEERS": "u16", "HW_TIMESTAMP_ENABLED": "flag",
    "MLO_LINK_DISABLED": "flag", "BSS_DUMP_INCLUDE_USE_DATA": "flag", "ASSOC_SPP_AMSDU": "flag",
    "WIPHY_RADIOS": K("nested-array", nested=WIPHY_RADIO),
    "WIPHY_INTERFACE_COMBINATIONS": K("nested-array", nested=IFACE_COMB), "VIF_RADIO_MASK": "u32",
    "SCAN_FREQUENCIES": K("nested", nested=FREQ_LIST), "SCAN_SSIDS": K("nested", nested=SSID_LIST),
})


# -- summaries ---------------------------------------------------------------------------

def _ssid(ies: bytes) -> str | None:
    """The SSID element (id 0) of an information-element blob."""
    pos = 0
    while pos + 2 <= len(ies):
        eid, ln = ies[pos], ies[pos + 1]
        if eid == 0:
            raw = ies[pos + 2:pos + 2 + ln]
            return raw.decode("utf-8", "replace")
        pos += 2 + ln
    return None


def _val(f: Field | None) -> str | None:
    return None if f is None else f.short()


def _dev(a: dict[str, Field]) -> str | None:
    f = a.get("NL80211_ATTR_IFNAME")
    if f is not None:
        return f.value
    f = a.get("NL80211_ATTR_IFINDEX")
    if f is not None:
        return f"ifindex {f.value}"
    f = a.get("NL80211_ATTR_WIPHY_NAME")
    if f is not None:
        return f.value
    f = a.get("NL80211_ATTR_WIPHY")
    if f is not None:
        return f"phy#{f.value}"
    f = a.get("NL80211_ATTR_WDEV")
    if f is not None:
        return f"wdev 0x{f.value:x}"
    return None


def _bss_text(bss: Field) -> str:
    b = {c.name: c for c in bss.children or ()}
    ies = b.get("NL80211_BSS_INFORMATION_ELEMENTS") or b.get("NL80211_BSS_BEACON_IES")
    ssid = _ssid(ies.value) if ies is not None and ies.kind == "bytes" else None
    status = b.get("NL80211_BSS_STATUS")
    return join(_val(b.get("NL80211_BSS_BSSID")),
                f"freq {b['NL80211_BSS_FREQUENCY'].value}" if "NL80211_BSS_FREQUENCY" in b else None,
                f"signal {_val(b['NL80211_BSS_SIGNAL_MBM'])}" if "NL80211_BSS_SIGNAL_MBM" in b else None,
                f'ssid "{ssid}"' if ssid is not None else None,
                f"({status.short().lower()})" if status is not None else None)


def _sta_text(info: Field) -> str:
    s = {c.name: c for c in info.children or ()}
    rx = s.get("NL80211_STA_INFO_RX_BYTES64") or s.get("NL80211_STA_INFO_RX_BYTES")
    tx = s.get("NL80211_STA_INFO_TX_BYTES64") or s.get("NL80211_STA_INFO_TX_BYTES")
    rate = s.get("NL80211_STA_INFO_TX_BITRATE")
    rtext = None
    if rate is not None:
        r = rate.get("NL80211_RATE_INFO_BITRATE32") or rate.get("NL80211_RATE_INFO_BITRATE")
        rtext = f"tx bitrate {r.short()}" if r is not None else None
    return join(f"signal {_val(s['NL80211_STA_INFO_SIGNAL'])}" if "NL80211_STA_INFO_SIGNAL" in s else None,
                f"rx {rx.value} bytes" if rx is not None else None,
                f"tx {tx.value} bytes" if tx is not None else None, rtext)


_ID_ATTRS = frozenset({"NL80211_ATTR_IFNAME", "NL80211_ATTR_IFINDEX", "NL80211_ATTR_WIPHY",
                       "NL80211_ATTR_WIPHY_NAME", "NL80211_ATTR_WDEV", "NL80211_ATTR_GENERATION",
                       "NL80211_ATTR_IFTYPE", "NL80211_ATTR_MAC"})
_SCALAR = frozenset({"int", "enum", "str", "addr", "mac", "bool", "flags"})


def _settings(attrs: list[Field], limit: int = 4) -> str | None:
    """'FRAG_THRESHOLD=100 ...' for the scalar attributes a SET_* request carries."""
    out = []
    for f in attrs:
        if f.name in _ID_ATTRS or f.kind not in _SCALAR:
            continue
        short = f.name.removeprefix("NL80211_ATTR_").lower()
        out.append(short if f.kind == "bool" else f"{short} {f.short()}")
        if len(out) == limit:
            break
    return " ".join(out) or None


def summary(cmd: str, fields: list[Field]) -> str:
    if fields and fields[-1].name == "wiped":
        return "(request wiped by the kernel: it carried keys)"
    attrs = attrs_of(fields)
    a = {f.name: f for f in attrs}
    dev = _dev(a)
    iftype = a.get("NL80211_ATTR_IFTYPE")
    if cmd.endswith("INTERFACE"):
        freq = a.get("NL80211_ATTR_WIPHY_FREQ")
        return join(dev, f"type {iftype.short().lower()}" if iftype is not None else None,
                    f"addr {a['NL80211_ATTR_MAC'].value}" if "NL80211_ATTR_MAC" in a else None,
                    f"freq {freq.value} MHz" if freq is not None else None)
    if cmd.endswith("WIPHY"):
        bands = a.get("NL80211_ATTR_WIPHY_BANDS")
        return join(dev, "split dump" if "NL80211_ATTR_SPLIT_WIPHY_DUMP" in a else None,
                    f"{child_count(bands)} band(s)" if bands is not None else None,
                    _settings(attrs) if cmd == "SET_WIPHY" else None)
    if "NL80211_ATTR_BSS" in a:
        return join(dev, "bss " + _bss_text(a["NL80211_ATTR_BSS"]))
    if cmd in ("TRIGGER_SCAN", "NEW_SCAN_RESULTS", "SCAN_ABORTED", "START_SCHED_SCAN"):
        freqs = a.get("NL80211_ATTR_SCAN_FREQUENCIES")
        ssids = a.get("NL80211_ATTR_SCAN_SSIDS")
        return join(dev, f"{child_count(freqs)} freqs" if freqs is not None else None,
                    f"{child_count(ssids)} ssids" if ssids is not None else None)
    if cmd.endswith("STATION"):
        info = a.get("NL80211_ATTR_STA_INFO")
        return join(dev, f"sta {a['NL80211_ATTR_MAC'].value}" if "NL80211_ATTR_MAC" in a else None,
                    _sta_text(info) if info is not None else None)
    if cmd in ("GET_REG", "SET_REG", "REQ_SET_REG", "REG_CHANGE", "WIPHY_REG_CHANGE"):
        rules = a.get("NL80211_ATTR_REG_RULES")
        init = a.get("NL80211_ATTR_REG_INITIATOR")
        rtype = a.get("NL80211_ATTR_REG_TYPE")
        dfs = a.get("NL80211_ATTR_DFS_REGION")
        return join(dev if "NL80211_ATTR_WIPHY" in a else None,
                    f"country {a['NL80211_ATTR_REG_ALPHA2'].value}" if "NL80211_ATTR_REG_ALPHA2" in a else None,
                    f"dfs {dfs.short()}" if dfs is not None else None,
                    f"{child_count(rules)} rules" if rules is not None else None,
                    f"by {init.short().lower()}" if init is not None else None,
                    f"type {rtype.short().lower()}" if rtype is not None else None)
    if cmd.endswith("POWER_SAVE"):
        ps = a.get("NL80211_ATTR_PS_STATE")
        return join(dev, f"power save {'on' if ps.value else 'off'}" if ps is not None else None)
    if cmd == "REG_BEACON_HINT":
        before = a.get("NL80211_ATTR_FREQ_BEFORE")
        f = before.get("NL80211_FREQUENCY_ATTR_FREQ") if before is not None else None
        return join(dev, f"freq {f.value} MHz" if f is not None else None)
    if cmd == "GET_PROTOCOL_FEATURES":
        pf = a.get("NL80211_ATTR_PROTOCOL_FEATURES")
        return join(dev, f"features {pf.short()}" if pf is not None else None)
    return join(dev, _settings(attrs))


# A wiphy dump announces CONTROL_PORT_ETHERTYPE support as a flag; requests carry a u16.
_ETHERTYPE = next(t for t, n in T.ATTR_NAMES.items() if n == "CONTROL_PORT_ETHERTYPE")
WIPHY_ATTRS = AttrSet("nl80211-wiphy", {**ATTRS.attrs,
                                        _ETHERTYPE: Attr("NL80211_ATTR_CONTROL_PORT_ETHERTYPE", "flag")})


def _unspec(ctx: DecodeCtx) -> list[Field]:
    """cmd 0: no command is 0, so an all-zero payload is a request the kernel wiped
    (NL80211_FLAG_CLEAR_SKB), echoed in an error; anything else is walked as usual."""
    buf, p, end = ctx.buf, ctx.start, ctx.end
    out = [Field(GENLMSGHDR.name, "struct", None, p, p + GENL_HDRLEN,
                 children=GENLMSGHDR.parse(buf, p, ctx.order))]
    p += GENL_HDRLEN
    if p >= end:
        return out
    if not any(buf[p:end]):
        out.append(Field("wiped", "bytes", bytes(buf[p:end]), p, end))
    else:
        out.append(Field("attributes", "nest", None, p, end,
                         children=walk_attrs(buf, p, end, ATTRS, ctx.order, ctx.problems)))
    return out


def register(registry) -> None:
    add_family(registry, GenlFamily("nl80211", T.CMDS, attrs=ATTRS, summary=summary,
                                    cmd_attrs={"NEW_WIPHY": WIPHY_ATTRS},
                                    cmd_decoders={"UNSPEC": _unspec}))
