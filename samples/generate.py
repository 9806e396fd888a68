#!/usr/bin/env python3
"""Regenerate the real-tool netlink sample corpus in samples/.

One VM boot (tests/vm/lab.py) runs samples/scenarios/run-all.sh, which gives
each scenario its own network namespace, nlmon0 and tcpdump, and runs real
tools (iproute2, tc, ss, iw, wg, ethtool, nft, conntrack, ip xfrm). Back on the
host each capture is converted to pcapng (editcap) with a capture comment, the
logs and side files are copied beside it, every file is checked with tshark
(readable, expected netlink families present), and samples/MANIFEST.json plus
the statistics section of samples/README.md are rewritten.

    .venv/bin/python samples/generate.py                 # everything (~4 min)
    .venv/bin/python samples/generate.py --only tc mixed # some scenarios
    .venv/bin/python samples/generate.py --check         # re-check committed files

Needs the VM lab (bash scripts/setup-vm.sh) and tshark/editcap on the host.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# name -> (description, netlink protocol numbers that must be present)
SCENARIOS: dict[str, tuple[str, set[int]]] = {
    "iproute2": ("rtnetlink via ip/bridge: dummy, veth, bridge, vlan, vxlan links; "
                 "addresses; routes incl. multipath/IPv6/blackhole/table 100; neighbours; "
                 "rules; bridge fdb; ip monitor notifications; error cases", {0}),
    "tc": ("rtnetlink traffic control via tc: htb classes, fq_codel, u32, flower, "
           "clsact + actions, stats dumps, error cases", {0}),
    "sock_diag": ("NETLINK_SOCK_DIAG via ss: tcp/udp v4+v6, unix, netlink, packet "
                  "sockets; a listener and an established connection; SOCK_DESTROY", {4}),
    "genl": ("generic netlink: ctrl (genl), nl80211 (iw on mac80211_hwsim), wireguard (wg), "
             "ethtool, devlink, mptcp_pm; error cases", {16}),
    "netfilter": ("NETLINK_NETFILTER: nftables tables/chains/rules/sets/maps (nft), "
                  "conntrack list/events/get/delete (conntrack); error cases", {12}),
    "xfrm": ("NETLINK_XFRM via ip xfrm: ESP states (tunnel, transport, AEAD), policies, "
             "get/count/update/flush; error cases", {6}),
    "devlink": ("devlink on a netdevsim device (built from the kernel's source): dev/info/"
                "param/port/health/resource/region/trap dumps, param set, reload with "
                "statistics, devlink monitor notifications, error cases", {16}),
    "mixed": ("a small mix of all of the above (the bundled sample)", {0, 4, 6, 12, 16}),
}
MIXED_MAX_BYTES = 300 * 1024

FAMILY_NAMES = {0: "ROUTE", 2: "USERSOCK", 4: "SOCK_DIAG", 5: "NFLOG", 6: "XFRM",
                10: "FIB_LOOKUP", 12: "NETFILTER", 16: "GENERIC"}

STATS_BEGIN = "<!-- stats:begin (written by samples/generate.py) -->"
STATS_END = "<!-- stats:end -->"


def load_lab():
    path = REPO / "tests" / "vm" / "lab.py"
    spec = importlib.util.spec_from_file_location("nlscope_vm_lab", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look the module up
    spec.loader.exec_module(mod)
    return mod


def sh(*cmd: str) -> str:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr}")
    return res.stdout


# ------------------------------------------------------------------ checks


def pcap_records(path: Path):
    """Yield the frames of a classic pcap (used on an editcap'd copy)."""
    data = path.read_bytes()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack_from(endian + "I", data, off + 8)[0]
        off += 16
        yield data[off:off + incl]
        off += incl


def count_messages(pcapng: Path) -> tuple[int, int]:
    """(frames, top-level nlmsghdr count) by walking nlmsg_len only."""
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td) / "x.pcap"
        sh("editcap", "-F", "pcap", str(pcapng), str(tmp))
        frames = msgs = 0
        for rec in pcap_records(tmp):
            frames += 1
            off = 16  # cooked netlink header
            while off + 16 <= len(rec):
                (length,) = struct.unpack_from("<I", rec, off)  # x86 host order
                if length < 16 or off + length > len(rec):
                    break
                msgs += 1
                off += (length + 3) & ~3
        return frames, msgs


def check_file(name: str, pcapng: Path) -> dict:
    """Check one capture with tshark; return its statistics."""
    families_out = sh("tshark", "-n", "-r", str(pcapng), "-T", "fields", "-e", "netlink.family")
    families = sorted({int(v, 0) for line in families_out.split() for v in line.split(",") if v})
    tshark_frames = len(families_out.splitlines())
    protos_out = sh("tshark", "-n", "-r", str(pcapng), "-T", "fields", "-e", "frame.protocols")
    protos = sorted({p for line in protos_out.splitlines() for p in line.split(":")}
                    - {"", "data", "text", "eth", "ethertype"})
    errors_out = sh("tshark", "-n", "-r", str(pcapng), "-Y", "netlink.error < 0",
                    "-T", "fields", "-e", "frame.number")
    frames, msgs = count_messages(pcapng)
    if frames != tshark_frames:
        raise SystemExit(f"{name}: tshark read {tshark_frames} frames, file has {frames}")
    need = SCENARIOS[name][1]
    if not need <= set(families):
        raise SystemExit(f"{name}: netlink families {families}, expected at least {sorted(need)}")
    if frames < 20:
        raise SystemExit(f"{name}: only {frames} frames captured")
    size = pcapng.stat().st_size
    if name == "mixed" and size > MIXED_MAX_BYTES:
        raise SystemExit(f"mixed: {size} bytes, over the {MIXED_MAX_BYTES} limit")
    return {
        "file": pcapng.name,
        "description": SCENARIOS[name][0],
        "frames": frames,
        "messages": msgs,
        "bytes": size,
        "families": {str(f): FAMILY_NAMES.get(f, "?") for f in families},
        "tshark_protocols": protos,
        "tshark_error_frames": len(errors_out.split()),
    }


# ------------------------------------------------------------------ outputs


def read_versions(path: Path) -> dict[str, str]:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            k, _, v = line.partition(": ")
            out[k] = v.strip()
    return out


def write_manifest_and_readme(outdir: Path, stats: dict[str, dict], versions: dict) -> None:
    manifest_path = outdir / "MANIFEST.json"
    manifest = {"files": {}}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
    manifest.setdefault("files", {}).update(stats)
    if versions:
        manifest["versions"] = versions
    manifest["regenerate"] = ".venv/bin/python samples/generate.py"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")

    readme = outdir / "README.md"
    if not readme.exists():
        return
    text = readme.read_text()
    if STATS_BEGIN not in text or STATS_END not in text:
        return
    v = manifest.get("versions", {})
    rows = ["| file | frames | netlink messages | bytes | families (protocol number) | frames with an error reply |",
            "| --- | ---: | ---: | ---: | --- | ---: |"]
    for name in SCENARIOS:
        s = manifest["files"].get(name)
        if not s:
            continue
        fams = ", ".join(f"{n} {k}" for k, n in sorted(s["families"].items(), key=lambda kv: int(kv[0])))
        rows.append(f"| `{s['file']}` | {s['frames']} | {s['messages']} | {s['bytes']} | "
                    f"{fams} | {s['tshark_error_frames']} |")
    block = "\n".join([
        STATS_BEGIN,
        "",
        f"Generated on kernel **{v.get('kernel', '?')}** ({v.get('kernel_version', '?')}), "
        f"with {v.get('iproute2', '?')}; {v.get('iw', '?')}; {v.get('wireguard-tools', '?')}; "
        f"{v.get('nftables', '?')}; {v.get('conntrack', '?')}; {v.get('ethtool', '?')}; "
        f"{v.get('tcpdump', '?')}.",
        "",
        *rows,
        "",
        "\"netlink messages\" counts top-level nlmsghdrs (a frame may hold several); "
        "\"frames with an error reply\" counts frames tshark shows with a negative "
        "NLMSG_ERROR code.",
        "",
        STATS_END,
    ])
    text = re.sub(re.escape(STATS_BEGIN) + r".*?" + re.escape(STATS_END), lambda _: block,
                  text, flags=re.S)
    readme.write_text(text)


# ------------------------------------------------------------------ main


def generate(names: list[str], outdir: Path, keep_raw: Path | None, timeout: float) -> dict:
    lab = load_lab()
    reason = lab.vm_unavailable_reason()
    if reason:
        raise SystemExit(reason)
    for tool in ("tshark", "editcap"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found (apt: tshark)")
    work = Path(tempfile.mkdtemp(prefix="nlscope-samples-"))
    env = {"SCENARIOS": " ".join(names)}
    if "devlink" in names:  # Debian's kernel has no netdevsim: build it from its source
        out = sh("bash", str(HERE / "build-netdevsim.sh"), lab.kernel_release(), str(work / "netdevsim"))
        env["NETDEVSIM_KO"] = out.strip().splitlines()[-1]
    print(f"booting kernel {lab.kernel_release()} for: {' '.join(names)} (work dir {work})",
          flush=True)
    res = lab.run_in_vm('bash "$REPO/samples/scenarios/run-all.sh"', outdir=work,
                        timeout=timeout, env=env)
    print(res.stdout, end="")
    if res.stderr.strip():
        print(res.stderr, file=sys.stderr, end="")
    if res.rc != 0:
        raise SystemExit(f"run-all.sh exited {res.rc}; partial results in {work}")

    versions = read_versions(work / "versions.txt")
    kernel = versions.get("kernel", "?")
    stats = {}
    for name in names:
        raw = work / "raw" / f"{name}.pcap"
        if not raw.exists():
            raise SystemExit(f"{name}: no capture {raw}")
        dst = outdir / f"{name}.pcapng"
        comment = (f"nlscope sample '{name}': {SCENARIOS[name][0]}. Captured on nlmon0 "
                   f"in its own network namespace, kernel {kernel}; made by "
                   f"samples/generate.py from samples/scenarios/{name}.sh")
        sh("editcap", "-F", "pcapng", "--capture-comment", comment, str(raw), str(dst))
        for extra in sorted(work.glob(f"{name}.*")):
            shutil.copyfile(extra, outdir / extra.name)
        tcpdump_txt = (work / "raw" / f"{name}.tcpdump.txt").read_text()
        m = re.search(r"(\d+) packets dropped by kernel", tcpdump_txt)
        stats[name] = check_file(name, dst)
        stats[name]["kernel_drops"] = int(m.group(1)) if m else None
        print(f"{dst.relative_to(REPO) if dst.is_relative_to(REPO) else dst}: "
              f"{stats[name]['frames']} frames, {stats[name]['messages']} messages, "
              f"families {stats[name]['families']}")
    shutil.copyfile(work / "versions.txt", outdir / "versions.txt")
    if keep_raw:
        keep_raw.mkdir(parents=True, exist_ok=True)
        for f in (work / "raw").iterdir():
            shutil.copyfile(f, keep_raw / f.name)
    shutil.rmtree(work, ignore_errors=True)
    write_manifest_and_readme(outdir, stats, versions)
    return stats


def check_only(names: list[str], outdir: Path) -> dict:
    stats = {}
    for name in names:
        f = outdir / f"{name}.pcapng"
        if not f.exists():
            raise SystemExit(f"missing {f}: run samples/generate.py")
        stats[name] = check_file(name, f)
        old = {}
        mf = outdir / "MANIFEST.json"
        if mf.exists():
            old = json.loads(mf.read_text()).get("files", {}).get(name, {})
        stats[name]["kernel_drops"] = old.get("kernel_drops")
        print(f"{f.name}: {stats[name]['frames']} frames, {stats[name]['messages']} messages, "
              f"families {stats[name]['families']}, protocols {stats[name]['tshark_protocols']}")
    write_manifest_and_readme(outdir, stats, read_versions(outdir / "versions.txt"))
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="+", choices=list(SCENARIOS), metavar="NAME",
                    help=f"scenarios to run (default all: {' '.join(SCENARIOS)})")
    ap.add_argument("--outdir", type=Path, default=HERE, help="where to write (default samples/)")
    ap.add_argument("--keep-raw", type=Path, help="also keep the raw pcaps and tcpdump stats here")
    ap.add_argument("--check", action="store_true",
                    help="no VM: re-check the files already in --outdir with tshark")
    ap.add_argument("--timeout", type=float, default=1800, help="VM run timeout, seconds")
    args = ap.parse_args(argv)
    names = args.only or list(SCENARIOS)
    args.outdir.mkdir(parents=True, exist_ok=True)
    if args.check:
        check_only(names, args.outdir)
    else:
        generate(names, args.outdir.resolve(), args.keep_raw, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
