"""rtnetlink groups the sample corpus does not hold, from real tools in the VM lab:
nexthop objects and buckets, MPLS routes and encap, route metrics, address labels,
neighbour tables, netconf, link properties, RTM_GETSTATS, bridge VLANs and MDB, netns
ids, more link kinds (bond, macvlan, vrf, gre, ipvlan, geneve), tc chains, tbf and
standalone actions. One boot (~30 s under TCG) serves every test of this module.
"""
from __future__ import annotations

import collections

import pytest
from test_rtnetlink_samples import Check, attribute_names, compare_with_tshark, report
from tshark import TSHARK
from vm.lab import vm_fixture

from nlscope.decode.decoder import Decoder
from nlscope.output.export import message_to_json
from nlscope.capture.pcapio import CaptureReader
from nlscope.decode.registry import default_registry

pytestmark = pytest.mark.vm

SCRIPT = r"""
exec 2>&1
. "$REPO/tests/vm/nlmon-capture.sh"
nlmon_capture_start "$OUT/rtnl.pcap" --time-stamp-precision=nano
ip monitor all > "$OUT/monitor.txt" 2>&1 &
MON=$!
sleep 0.3
r() { printf '\n$ %s\n' "$*"; "$@"; echo "[rc=$?]"; }

r modprobe mpls_router
r modprobe mpls_iptunnel
r sysctl -w net.mpls.platform_labels=100
r ip link add dummy0 type dummy
r ip link set dummy0 up
r ip addr add 192.0.2.1/24 dev dummy0
r sysctl -w net.mpls.conf.dummy0.input=1

# nexthop objects
r ip nexthop add id 1 via 192.0.2.254 dev dummy0
r ip nexthop add id 2 via 192.0.2.253 dev dummy0
r ip nexthop add id 10 group 1/2,3
r ip nexthop add id 20 group 1/2 type resilient buckets 8
r ip nexthop add id 30 blackhole
r ip route add 198.51.100.0/24 nhid 10
r ip nexthop show
r ip nexthop bucket show id 20

# encap, metrics, MPLS, IPv6 preference
r ip route add 10.99.0.0/16 encap mpls 100/200 via 192.0.2.254 dev dummy0
r ip route add 10.98.0.0/16 via 192.0.2.254 dev dummy0 mtu lock 1400 advmss 1360 initcwnd 10 congctl cubic
r ip -f mpls route add 17 as 18 via inet 192.0.2.254 dev dummy0
r ip -f mpls route show
r ip route get 10.99.1.1 fibmatch
r ip -6 addr add 2001:db8:1::1/64 dev dummy0 nodad
r ip -6 route add 2001:db8:9::/64 via 2001:db8:1::fe dev dummy0 pref high
r ip route show table all

# address labels, neighbour tables, netconf, link properties, stats
r ip -6 addrlabel add prefix 2001:db8:5::/48 label 99
r ip -6 addrlabel list
r ip ntable show dev dummy0
r ip netconf show dev dummy0
r ip netconf show
r ip link property add dev dummy0 altname dmy0
r ip link show dmy0
r ip link property del dev dummy0 altname dmy0
r ip stats show dev dummy0 group link

# more link kinds
r ip link add bond0 type bond mode active-backup miimon 100
r ip link add dummy1 type dummy
r ip link set dummy1 master bond0
r ip link add macvlan0 link dummy0 type macvlan mode bridge
r ip link add vrf0 type vrf table 10
r ip link set vrf0 up
r ip link add gre1 type gre remote 192.0.2.9 local 192.0.2.1 ttl 64
r ip link add dummy2 type dummy
r ip link add ipvl0 link dummy2 type ipvlan mode l3
r ip link add gnv0 type geneve id 7 remote 192.0.2.9
r ip -d link show

# bridge VLANs, MDB, xstats
r ip link add br0 type bridge vlan_filtering 1 mcast_snooping 1
r ip link add veth0 type veth peer name veth1
r ip link set veth1 master br0
r ip link set br0 up
r ip link set veth1 up
r ip link set veth0 up
r bridge vlan add vid 10 dev veth1 pvid untagged
r bridge vlan show
r bridge vlan global show
r bridge mdb add dev br0 port veth1 grp 239.1.1.1 permanent vid 10
r bridge mdb show
r ip link xstats type bridge

# network namespace ids
r ip netns add other
r ip netns set other 5
r ip netns list-id

# tc: tbf, chains, standalone actions
r tc qdisc add dev dummy0 root tbf rate 1mbit burst 32kbit latency 400ms
r tc qdisc add dev dummy0 clsact
r tc chain add dev dummy0 ingress chain 3
r tc chain show dev dummy0 ingress
r tc actions add action mirred egress redirect dev dummy0 index 5
r tc actions ls action mirred
r tc filter add dev dummy0 ingress protocol ip prio 2 matchall action police rate 1mbit burst 10k drop
r tc -s -d filter show dev dummy0 ingress
r tc -s qdisc show dev dummy0

# teardown
r ip netns del other
r ip nexthop flush
r ip link del br0
r ip link del veth0
r ip link del bond0
r ip link del dummy1
r ip link del dummy2
r ip link del gnv0
r ip link del gre1
r ip link del dummy0

sleep 0.5
kill $MON
nlmon_capture_stop
exit 0
"""

lab = vm_fixture(SCRIPT, timeout=900)


@pytest.fixture(scope="module")
def capture(lab):
    path = lab.outdir / "rtnl.pcap"
    assert path.is_file(), lab.stdout[-3000:]
    msgs = [m for m in Decoder(default_registry(entry_points=False)).messages(CaptureReader(path))
            if m.protocol == 0]
    return path, msgs


def _find(msgs, type_name, pred=lambda j: True, kernel=True, last=False):
    """The first (or last) message of that type from the kernel (or from anyone, with
    kernel=False) for which pred(its JSON payload) holds."""
    for m in (reversed(msgs) if last else msgs):
        if m.type_name == type_name and not (kernel and m.flags & 1):
            j = message_to_json(m)["payload"]
            if pred(j):
                return m, j
    raise AssertionError(f"no {type_name} matching in the capture")


def test_every_message_named_clean_and_summarised(capture):
    _, msgs = capture
    assert len(msgs) > 200
    assert [m.type_name for m in msgs if m.type_name.startswith(("UNKNOWN", "NLMSG_RESERVED"))] == []
    assert [(m.number, m.type_name, p) for m in msgs for p in m.problems] == []
    assert [(m.number, m.summary) for m in msgs if m.summary.strip() == m.type_name] == []
    named, unnamed = collections.Counter(), collections.Counter()
    for m in msgs:
        attribute_names(m.tree, named, unnamed)
    total = sum(named.values()) + sum(unnamed.values())
    print(f"\nVM capture: {sum(named.values())} of {total} attributes named "
          f"({100 * sum(named.values()) / total:.2f}%); unnamed: {dict(unnamed)}")
    assert sum(named.values()) / total >= 0.98


def test_groups_beyond_the_samples(capture, lab):
    _, msgs = capture
    types = {m.type_name for m in msgs}
    want = {"RTM_NEWNEXTHOP", "RTM_NEWNEXTHOPBUCKET", "RTM_NEWADDRLABEL", "RTM_NEWNEIGHTBL",
            "RTM_NEWNETCONF", "RTM_NEWLINKPROP", "RTM_DELLINKPROP", "RTM_NEWSTATS", "RTM_NEWMDB",
            "RTM_NEWNSID", "RTM_NEWCHAIN", "RTM_NEWACTION", "RTM_GETVLAN", "RTM_NEWVLAN",
            "RTM_GETNETCONF", "RTM_GETSTATS", "RTM_GETNEIGHTBL", "RTM_GETADDRLABEL"}
    assert want - types == set(), lab.stdout[-4000:]


def test_nexthop_group_and_route_by_id(capture):
    _, msgs = capture
    _, j = _find(msgs, "RTM_NEWNEXTHOP", lambda j: j.get("attributes", {}).get("NHA_ID") == 10)
    assert [(g["id"], g["weight"]) for g in j["attributes"]["NHA_GROUP"]] == [(1, 0), (2, 2)]
    m, _ = _find(msgs, "RTM_NEWNEXTHOP", lambda j: j.get("attributes", {}).get("NHA_ID") == 20
                 and "NHA_RES_GROUP" in j["attributes"])
    assert "group 1/2 type resilient" in m.summary
    m, _ = _find(msgs, "RTM_NEWROUTE", lambda j: j.get("attributes", {}).get("RTA_NH_ID") == 10)
    assert m.summary.startswith("RTM_NEWROUTE 198.51.100.0/24 nhid 10")


def test_mpls_encap_metrics_and_mpls_routes(capture):
    _, msgs = capture
    m, j = _find(msgs, "RTM_NEWROUTE", lambda j: j.get("attributes", {}).get("RTA_DST") == "10.99.0.0")
    assert j["attributes"]["RTA_ENCAP"] == {"MPLS_IPTUNNEL_DST": [100, 200]}
    assert "encap mpls 100/200" in m.summary
    _, j = _find(msgs, "RTM_NEWROUTE", lambda j: j.get("attributes", {}).get("RTA_DST") == "10.98.0.0")
    x = j["attributes"]["RTA_METRICS"]
    assert x["RTAX_MTU"] == 1400 and "RTAX_MTU" in x["RTAX_LOCK"]["names"]
    assert x["RTAX_ADVMSS"] == 1360 and x["RTAX_INITCWND"] == 10 and x["RTAX_CC_ALGO"] == "cubic"
    m, _ = _find(msgs, "RTM_NEWROUTE", lambda j: j.get("attributes", {}).get("RTA_DST") == "10.98.0.0")
    assert m.summary.endswith("mtu lock 1400 advmss 1360 initcwnd 10 congctl cubic")
    m, j = _find(msgs, "RTM_NEWROUTE", lambda j: j["rtmsg"]["rtm_family"]["name"] == "AF_MPLS")
    assert j["attributes"]["RTA_DST"] == [17] and j["attributes"]["RTA_NEWDST"] == [18]
    assert m.summary.startswith("RTM_NEWROUTE 17 as to 18 via inet 192.0.2.254")
    m, _ = _find(msgs, "RTM_NEWROUTE", lambda j: j.get("attributes", {}).get("RTA_DST") == "2001:db8:9::")
    assert "pref high" in m.summary


def test_link_kinds(capture):
    _, msgs = capture

    def data(name):
        _, j = _find(msgs, "RTM_NEWLINK", lambda j: j.get("attributes", {}).get("IFLA_IFNAME") == name
                     and "IFLA_INFO_DATA" in j["attributes"].get("IFLA_LINKINFO", {}), last=True)
        return j["attributes"]["IFLA_LINKINFO"]["IFLA_INFO_DATA"]
    assert data("bond0")["IFLA_BOND_MODE"]["name"] == "BOND_MODE_ACTIVEBACKUP"
    assert data("bond0")["IFLA_BOND_MIIMON"] == 100
    assert data("macvlan0")["IFLA_MACVLAN_MODE"]["name"] == "MACVLAN_MODE_BRIDGE"
    assert data("vrf0") == {"IFLA_VRF_TABLE": 10}
    assert data("gre1")["IFLA_GRE_REMOTE"] == "192.0.2.9" and data("gre1")["IFLA_GRE_TTL"] == 64
    assert data("ipvl0")["IFLA_IPVLAN_MODE"]["name"] == "IPVLAN_MODE_L3"
    assert data("gnv0")["IFLA_GENEVE_ID"] == 7 and data("gnv0")["IFLA_GENEVE_REMOTE"] == "192.0.2.9"
    _, j = _find(msgs, "RTM_NEWLINK", lambda j: j.get("attributes", {}).get("IFLA_IFNAME") == "dummy1"
                 and "IFLA_INFO_SLAVE_DATA" in j["attributes"].get("IFLA_LINKINFO", {}))
    assert j["attributes"]["IFLA_LINKINFO"]["IFLA_INFO_SLAVE_KIND"] == "bond"


def test_the_small_groups(capture):
    _, msgs = capture
    m, _ = _find(msgs, "RTM_NEWADDRLABEL", lambda j: j.get("attributes", {}).get("IFAL_LABEL") == 99)
    assert m.summary.startswith("RTM_NEWADDRLABEL prefix 2001:db8:5::/48")
    m, _ = _find(msgs, "RTM_NEWLINKPROP", kernel=False)  # the kernel answers with RTM_NEWLINK
    assert "altname dmy0" in m.summary
    m, j = _find(msgs, "RTM_NEWNEIGHTBL", lambda j: "NDTA_NAME" in j.get("attributes", {}))
    assert j["attributes"]["NDTA_NAME"] in ("arp_cache", "ndisc_cache")
    m, _ = _find(msgs, "RTM_NEWNSID", lambda j: j.get("attributes", {}).get("NETNSA_NSID") == 5)
    m, _ = _find(msgs, "RTM_NEWMDB", kernel=False)
    assert m.summary.endswith("grp 239.1.1.1 vid 10 permanent")
    m, j = _find(msgs, "RTM_GETMDB")  # the kernel's dump replies keep the GET type
    entries = j["attributes"]["MDBA_MDB"]["MDBA_MDB_ENTRY"]
    (ours,) = [e["MDBA_MDB_ENTRY_INFO"] for e in (entries if isinstance(entries, list) else [entries])
               if e["MDBA_MDB_ENTRY_INFO"]["br_mdb_entry"]["addr"] == "239.1.1.1"]
    assert ours["br_mdb_entry"]["state"]["name"] == "MDB_PERMANENT" and ours["br_mdb_entry"]["vid"] == 10
    assert ours["attributes"]["MDBA_MDB_EATTR_RTPROT"]["name"] == "RTPROT_STATIC"
    assert "grp 239.1.1.1 vid 10 permanent" in m.summary
    m, _ = _find(msgs, "RTM_NEWSTATS", lambda j: "IFLA_STATS_LINK_64" in j.get("attributes", {}))
    assert " rx " in m.summary
    m, _ = _find(msgs, "RTM_NEWACTION", kernel=False)
    assert m.summary == "RTM_NEWACTION action mirred egress redirect dev 3 stolen index 5"
    m, _ = _find(msgs, "RTM_GETACTION")  # `tc actions ls`: the dump replies keep the GET type
    assert m.summary.startswith("RTM_GETACTION action mirred egress redirect dev 3 stolen index 5")
    m, _ = _find(msgs, "RTM_NEWCHAIN")
    assert "chain 3" in m.summary
    m, j = _find(msgs, "RTM_NEWQDISC", lambda j: j.get("attributes", {}).get("TCA_KIND") == "tbf")
    assert j["attributes"]["TCA_OPTIONS"]["TCA_TBF_PARMS"]["rate"]["rate"] == 125000
    assert "tbf 8001: root rate 1Mbit" in m.summary


@pytest.mark.tshark
@pytest.mark.skipif(TSHARK is None, reason="tshark not installed (apt: tshark)")
def test_values_match_tshark(capture):
    path, msgs = capture
    chk = Check()
    compare_with_tshark(chk, path, msgs)
    print("\n" + report(chk, "the VM capture"))
    assert chk.mismatches == [] and chk.unmapped == set()
