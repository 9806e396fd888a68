"""nl80211, wireguard, ethtool, devlink, taskstats, mptcp_pm: hand-built messages with
nested attributes, decoded by family name once NEWFAMILY taught the id."""
from __future__ import annotations

import base64
import socket
import struct

from fixtures.make_fixtures import nla
from test_genl import decode, genl, newfamily, u16, u32

from nlscope.decode.model import find

IDS = {"nl80211": 35, "wireguard": 41, "ethtool": 22, "devlink": 23, "TASKSTATS": 34,
       "mptcp_pm": 30, "thermal": 50, "ovs_datapath": 51}
LEARN = [newfamily(n, i) for n, i in IDS.items()]


def run(*msgs):
    return decode(*LEARN, *msgs)[len(LEARN):]


def n(t, data=b"", nested=False):
    return nla(t, data, nested=nested)


# -- nl80211 --------------------------------------------------------------------------------

def test_nl80211_new_interface_and_kinds():
    new_if = genl(35, 7, n(1, u32(0)) + n(3, u32(5)) + n(4, b"mon0\0") + n(5, u32(6))
                  + n(6, bytes.fromhex("020000000000")) + n(46, u32(9)), flags=0x5)
    get_dump = genl(35, 5, flags=0x305)
    del_if = genl(35, 8, n(3, u32(5)), flags=0x5)
    m1, m2, m3 = run(new_if, get_dump, del_if)
    assert m1.summary == "nl80211 NEW_INTERFACE mon0 type monitor addr 02:00:00:00:00:00"
    assert (m1.kind, m2.kind, m3.kind) == ("new", "get", "del")
    assert m2.flag_names == ["REQUEST", "ACK", "DUMP"]
    assert m3.summary == "nl80211 DEL_INTERFACE ifindex 5"


def test_nl80211_scan_result_bss_nest():
    ies = b"\x00\x06lab-ap\x01\x02\x82\x84"
    bss = n(47, n(1, bytes.fromhex("020000000100")) + n(2, u32(2437)) + n(3, struct.pack("<Q", 12345))
            + n(4, u16(100)) + n(5, u16(0x431)) + n(6, ies) + n(7, struct.pack("<i", -4200))
            + n(9, u32(1)) + n(10, u32(25)), nested=True)
    m, = run(genl(35, 34, n(3, u32(2)) + n(46, u32(7)) + bss, flags=0x2))
    b = find(m.tree, "NL80211_ATTR_BSS")
    assert [c.name for c in b.children] == [
        "NL80211_BSS_BSSID", "NL80211_BSS_FREQUENCY", "NL80211_BSS_TSF", "NL80211_BSS_BEACON_INTERVAL",
        "NL80211_BSS_CAPABILITY", "NL80211_BSS_INFORMATION_ELEMENTS", "NL80211_BSS_SIGNAL_MBM",
        "NL80211_BSS_STATUS", "NL80211_BSS_SEEN_MS_AGO"]
    assert b.get("NL80211_BSS_SIGNAL_MBM").value == -4200
    assert b.get("NL80211_BSS_SIGNAL_MBM").meta == "-42.00 dBm"
    assert b.get("NL80211_BSS_STATUS").meta == "ASSOCIATED"
    assert m.summary == ('nl80211 NEW_SCAN_RESULTS ifindex 2 bss 02:00:00:00:01:00 freq 2437 '
                         'signal -42.00 dBm ssid "lab-ap" (associated)')


def test_nl80211_station_info_with_rate_nest():
    rate = n(8, n(1, u16(540)) + n(5, u32(540)) + n(2, b"\x07") + n(4), nested=True)
    info = n(21, n(1, u32(10)) + n(2, u32(1000)) + n(3, u32(2000)) + n(7, struct.pack("b", -55))
             + rate + n(23, struct.pack("<Q", 1 << 33)) + n(24, struct.pack("<Q", 77))
             + n(17, struct.pack("<II", 0b10, 0b10)), nested=True)
    m, = run(genl(35, 19, n(3, u32(2)) + n(6, bytes.fromhex("020000000001")) + info, flags=0x2))
    assert not m.problems
    i = find(m.tree, "NL80211_ATTR_STA_INFO")
    assert i.get("NL80211_STA_INFO_SIGNAL").meta == "-55 dBm"
    txr = i.get("NL80211_STA_INFO_TX_BITRATE")
    assert txr.get("NL80211_RATE_INFO_BITRATE").meta == "54.0 MBit/s"
    assert txr.get("NL80211_RATE_INFO_MCS").value == 7
    assert txr.get("NL80211_RATE_INFO_SHORT_GI").value is True
    flags = i.get("NL80211_STA_INFO_STA_FLAGS")
    assert flags.children[0].meta == ["AUTHORIZED"]
    assert m.summary == ("nl80211 NEW_STATION ifindex 2 sta 02:00:00:00:00:01 signal -55 dBm "
                         "rx 8589934592 bytes tx 77 bytes tx bitrate 54.0 MBit/s")


def test_nl80211_wiphy_bands_freqs_and_iftypes():
    freq = lambda f, *flags: n(0, n(1, u32(f)) + b"".join(n(x) for x in flags)  # noqa: E731
                              + n(6, u32(2000)), nested=True)
    freqs = n(1, freq(2412) + freq(2467, 3, 4), nested=True)
    rates = n(2, n(0, n(1, u32(10)), nested=True) + n(1, n(1, u32(20)) + n(2), nested=True), nested=True)
    bands = n(22, n(0, freqs + rates + n(4, u16(0x17e)), nested=True), nested=True)
    iftypes = n(32, n(2) + n(3) + n(6), nested=True)
    cmds = n(50, n(1, u32(5)) + n(2, u32(7)), nested=True)
    comb = n(120, n(1, n(1, n(1, n(1, u32(2)) + n(2, n(2) + n(3), nested=True), nested=True), nested=True)
                    + n(2, u32(2048)) + n(4, u32(1)), nested=True), nested=True)
    ether = n(102)  # CONTROL_PORT_ETHERTYPE: a flag in wiphy dumps
    m, = run(genl(35, 3, n(1, u32(0)) + n(2, b"phy0\0") + bands + iftypes + cmds + comb + ether, flags=0x2))
    assert not m.problems, m.problems
    band = find(m.tree, "NL80211_BAND_2GHZ")
    f2 = band.get("NL80211_BAND_ATTR_FREQS").children[1]
    assert [c.name for c in f2.children] == [
        "NL80211_FREQUENCY_ATTR_FREQ", "NL80211_FREQUENCY_ATTR_NO_IR",
        "__NL80211_FREQUENCY_ATTR_NO_IBSS", "NL80211_FREQUENCY_ATTR_MAX_TX_POWER"]
    assert f2.children[3].meta == "20.00 dBm"
    assert band.get("NL80211_BAND_ATTR_RATES").children[1].children[1].name == \
        "NL80211_BITRATE_ATTR_2GHZ_SHORTPREAMBLE"
    assert [c.name for c in find(m.tree, "NL80211_ATTR_SUPPORTED_IFTYPES").children] == [
        "NL80211_IFTYPE_STATION", "NL80211_IFTYPE_AP", "NL80211_IFTYPE_MONITOR"]
    assert [c.meta for c in find(m.tree, "NL80211_ATTR_SUPPORTED_COMMANDS").children] == [
        "GET_INTERFACE", "NEW_INTERFACE"]
    limit = find(m.tree, "NL80211_IFACE_COMB_LIMITS").children[0]
    assert limit.get("NL80211_IFACE_LIMIT_MAX").value == 2
    assert m.summary == "nl80211 NEW_WIPHY phy0 1 band(s)"


def test_nl80211_regulatory_dump():
    rule = lambda s, e, bw, fl: n(0, n(1, u32(fl)) + n(2, u32(s)) + n(3, u32(e)) + n(4, u32(bw))  # noqa: E731
                                 + n(6, u32(2000)), nested=True)
    rules = n(34, rule(2402000, 2472000, 40000, 0) + rule(5170000, 5250000, 80000, 0x880), nested=True)
    m, = run(genl(35, 31, n(33, b"00\0") + n(146, b"\x00") + rules, flags=0x2))
    r2 = find(m.tree, "NL80211_ATTR_REG_RULES").children[1]
    assert r2.get("NL80211_ATTR_REG_RULE_FLAGS").meta == ["NO_IR", "AUTO_BW"]
    assert r2.get("NL80211_ATTR_FREQ_RANGE_START").meta == "5170000 kHz"
    assert m.summary == "nl80211 GET_REG country 00 dfs UNSET 2 rules"


def test_nl80211_unknown_command_keeps_the_attribute_space():
    m, = run(genl(35, 250, n(3, u32(4)), flags=0x5))
    assert m.type_name == "nl80211 cmd 250"
    assert find(m.tree, "NL80211_ATTR_IFINDEX").value == 4


# -- wireguard --------------------------------------------------------------------------

KEY = bytes(range(32))
PSK = bytes(range(32, 64))


def _sockaddr_in(ip, port):
    return struct.pack("<H", socket.AF_INET) + struct.pack(">H", port) + socket.inet_aton(ip) + bytes(8)


def _sockaddr_in6(ip, port):
    return (struct.pack("<H", socket.AF_INET6) + struct.pack(">HI", port, 0)
            + socket.inet_pton(socket.AF_INET6, ip) + struct.pack("<I", 0))


def _allowed(ip, cidr, fam=socket.AF_INET):
    raw = socket.inet_pton(fam, ip)
    return n(1, u16(fam)) + n(2, raw) + n(3, bytes([cidr]))


def test_wireguard_set_device_with_peer():
    peer = n(1, KEY) + n(2, PSK) + n(3, u32(2)) + n(4, _sockaddr_in("127.0.0.1", 51821)) \
        + n(9, n(0, _allowed("192.0.2.0", 24), nested=True)
            + n(0, _allowed("2001:db8:3::", 48, socket.AF_INET6), nested=True), nested=True)
    msg = genl(41, 1, n(2, b"wg0\0") + n(3, bytes(32)) + n(6, u16(51820)) + n(7, u32(0x42))
               + n(8, n(0, peer, nested=True), nested=True), flags=0x5)
    m, = run(msg)
    assert not m.problems, m.problems
    assert m.type_name == "wireguard SET_DEVICE"
    pub = base64.b64encode(KEY).decode()
    assert m.summary == (f"wireguard SET_DEVICE wg0 private-key listen-port 51820 fwmark 0x42 "
                         f"peer {pub} (psk endpoint 127.0.0.1:51821 "
                         f"allowed-ips 192.0.2.0/24,2001:db8:3::/48)")
    p = find(m.tree, "WGDEVICE_A_PEERS").children[0]
    assert p.get("WGPEER_A_FLAGS").meta == ["REPLACE_ALLOWEDIPS"]
    ep = p.get("WGPEER_A_ENDPOINT")
    assert [(c.name, c.value) for c in ep.children] == [
        ("sin_family", socket.AF_INET), ("sin_port", 51821), ("sin_addr", "127.0.0.1"),
        ("sin_zero", bytes(8))]


def test_wireguard_get_device_reply_ipv6_endpoint_and_handshake():
    peer = n(1, KEY) + n(4, _sockaddr_in6("2001:db8::1", 51820)) + n(6, struct.pack("<qq", 1700000000, 5)) \
        + n(7, struct.pack("<Q", 1000)) + n(8, struct.pack("<Q", 2000)) + n(10, u32(1))
    m, = run(genl(41, 0, n(1, u32(7)) + n(2, b"wg0\0") + n(4, KEY) + n(6, u16(51820))
                  + n(8, n(0, peer, nested=True), nested=True), flags=0x2))
    assert not m.problems
    ep = find(m.tree, "WGPEER_A_ENDPOINT")
    assert ep.get("sin6_addr").value == "2001:db8::1" and ep.get("sin6_port").value == 51820
    assert find(m.tree, "WGPEER_A_LAST_HANDSHAKE_TIME").get("tv_sec").value == 1700000000
    assert "endpoint [2001:db8::1]:51820" in m.summary


# -- ethtool ----------------------------------------------------------------------------

HDR = n(1, n(1, u32(4)) + n(2, b"veth2\0") + n(3, u32(1)), nested=True)


def test_ethtool_request_and_reply_share_numbers_but_not_names():
    req, rep = run(genl(22, 4, HDR, flags=0x5),
                   genl(22, 4, HDR + n(2, b"\x00") + n(5, u32(10000)) + n(6, b"\x01")))
    assert req.type_name == "ethtool LINKMODES_GET" and req.kind == "get"
    assert rep.type_name == "ethtool LINKMODES_GET_REPLY"
    assert rep.summary == "ethtool LINKMODES_GET_REPLY veth2 speed 10000 Mb/s duplex full autoneg off"
    h = find(req.tree, "ETHTOOL_A_LINKMODES_HEADER")
    assert h.get("ETHTOOL_A_HEADER_FLAGS").meta == ["COMPACT_BITSETS"]
    assert h.get("ETHTOOL_A_HEADER_DEV_INDEX").value == 4


def test_ethtool_features_bitsets():
    bit = lambda i, name, on: n(1, n(1, u32(i)) + n(2, name + b"\0") + (n(3) if on else b""),  # noqa: E731
                                nested=True)
    wanted = n(3, n(2, u32(64)) + n(3, bit(0, b"tx-checksum-ipv4", False) + bit(5, b"tx-scatter-gather", True),
                                    nested=True), nested=True)
    m, = run(genl(22, 12, HDR + wanted, flags=0x5))
    assert not m.problems
    bits = find(m.tree, "ETHTOOL_A_BITSET_BITS")
    assert [b.get("ETHTOOL_A_BITSET_BIT_NAME").value for b in bits.children] == [
        "tx-checksum-ipv4", "tx-scatter-gather"]
    assert m.summary == "ethtool FEATURES_SET veth2 wanted on tx-scatter-gather off tx-checksum-ipv4"
    compact = n(4, n(1) + n(2, u32(64)) + n(4, struct.pack("<Q", 0b1011)), nested=True)
    r, = run(genl(22, 11, HDR + compact))
    assert r.summary == "ethtool FEATURES_GET_REPLY veth2 active 3 of 64 set"


def test_ethtool_channels_and_strset():
    ch, ss = run(genl(22, 18, HDR + n(6, u32(1)) + n(7, u32(1)) + n(9, u32(2))),
                 genl(22, 1, HDR + n(2, n(1, n(1, u32(2)) + n(2, u32(1)) + n(3, n(1, n(1, u32(0))
                                           + n(2, b"rx\0"), nested=True), nested=True), nested=True),
                                    nested=True)))
    assert ch.summary == "ethtool CHANNELS_GET_REPLY veth2 rx 1 tx 1 combined 2"
    assert ss.summary == "ethtool STRSET_GET_REPLY veth2 1 string set"
    assert find(ss.tree, "ETHTOOL_A_STRING_VALUE").value == "rx"


# -- the smaller families ------------------------------------------------------------------

def test_devlink_taskstats_mptcp_and_command_only_families():
    dl = genl(23, 3, n(1, b"netdevsim\0") + n(2, b"netdevsim1\0") + n(98, b"netdevsim\0"), flags=0x2)
    ts_req = genl(34, 1, n(1, u32(1234)), flags=0x5)
    stats = struct.pack("<H2xIBB6x", 14, 0, 0, 0) + bytes(64) + b"bash".ljust(32, b"\0") + bytes(64)
    ts_rep = genl(34, 2, n(4, n(1, u32(1234)) + n(3, stats), nested=True))
    mp = genl(30, 1, n(1, n(1, u16(2)) + n(2, b"\x07") + n(3, socket.inet_aton("192.0.2.77"))
                       + n(6, u32(1)), nested=True), flags=0x5)
    th = genl(50, 3, n(1, u32(0)), flags=0x5)
    ovs = genl(51, 3, struct.pack("<i", 0) + n(1, b"ovs-system\0"), flags=0x5)
    m_dl, m_tq, m_tr, m_mp, m_th, m_ovs = run(dl, ts_req, ts_rep, mp, th, ovs)
    assert m_dl.summary == "devlink NEW netdevsim/netdevsim1 driver netdevsim"
    assert m_tq.summary == "TASKSTATS GET pid 1234"
    assert m_tr.summary == 'TASKSTATS NEW pid 1234 comm "bash"'
    assert find(m_tr.tree, "TASKSTATS_TYPE_STATS").get("version").value == 14
    assert m_mp.summary == "mptcp_pm ADD_ADDR 192.0.2.77 id 7 signal"
    assert m_th.type_name == "thermal TZ_GET_TEMP" and m_th.tree[2].children[0].name == "UNKNOWN(1)"
    assert m_ovs.type_name == "ovs_datapath GET"
    assert [f.name for f in m_ovs.tree[1:]] == ["genlmsghdr", "ovs_header", "attributes"]
    assert not any(m.problems for m in (m_dl, m_tq, m_tr, m_mp, m_th, m_ovs))


def test_vfs_dquot_has_a_fixed_id():
    m, = decode(genl(0x11, 1, n(1, u32(0))))
    assert m.type_name == "VFS_DQUOT WARNING"
