/* nlscope's eBPF netlink tap, compiled once (clang -target bpf, see Makefile) and
 * loaded by nlscope/capture/ebpf.py through libbpf; CO-RE relocates the field offsets
 * below to the running kernel's BTF, so one object serves 6.1 and 6.12 alike.
 *
 * Every netlink message of every protocol and network namespace, at the points where
 * nlmon's tap sits (net/netlink/af_netlink.c), plus user multicast:
 *   out: netlink_unicast / netlink_broadcast called on a user socket (the skb that
 *        sendmsg() built; nlmon taps it in netlink_unicast_kernel)
 *   in:  __netlink_sendskb, a datagram queued on a user socket (unicast replies, dump
 *        parts, each multicast copy; nlmon taps it there too)
 * The receiving process is not `current` for an "in" message (a notification is
 * queued by whoever caused it, a module's reply maybe by a kworker): a socket's owner
 * is the last process that called sendmsg/recvmsg on it.
 *
 * A message goes out as ring records of at most CHUNK bytes (no BPF buffer holds a
 * 256 KiB datagram); userspace joins them by event id. A record the ring has no room
 * for is counted (counters[1]), never silently lost.
 *
 * Wake-ups in bulk: by default each record written while the reader is caught up
 * wakes it (an irq_work and a cross-CPU wake-up per message, paid by the traced
 * command: under the lab's TCG that made the consumer's speed irrelevant). The reader
 * polls on a timer anyway (ebpf.py, POLL_MS), so a record wakes it only once
 * config.wake_bytes are waiting.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <asm/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#define CHUNK 8192
#define MAX_CHUNKS 32       /* 256 KiB, nlmon's snapshot length */

/* Only the fields we read; names as in the kernel, offsets from its BTF. */
struct ns_common { unsigned int inum; } __attribute__((preserve_access_index));
struct net { struct ns_common ns; } __attribute__((preserve_access_index));
typedef struct { struct net *net; } possible_net_t;
struct sock_common { possible_net_t skc_net; } __attribute__((preserve_access_index));
struct sock {
    struct sock_common __sk_common;
    __u16 sk_protocol;
} __attribute__((preserve_access_index));
struct netlink_sock { struct sock sk; __u32 portid; } __attribute__((preserve_access_index));
struct socket { struct sock *sk; } __attribute__((preserve_access_index));
struct sk_buff { unsigned int len; unsigned char *data; } __attribute__((preserve_access_index));
struct task_struct { int pid; int tgid; } __attribute__((preserve_access_index));

struct event {
    __u64 ts;           /* CLOCK_MONOTONIC ns */
    __u32 id;           /* one per message; its chunks share it */
    __u32 len;          /* the whole datagram's length */
    __u32 off;          /* where this chunk starts */
    __u32 pid;          /* sender (out) or the receiving socket's owner (in); 0 unknown */
    __u32 netns;        /* network namespace inode */
    __u32 portid;       /* the user socket's port id */
    __u16 proto;
    __u8 dir;           /* 1 in, 2 out (as pcapng EPB flags) */
    __u8 pad;
    char comm[16];
    __u8 data[2 * CHUNK];
};
#define HDR_SIZE __builtin_offsetof(struct event, data)

struct owner {
    __u32 tgid;
    char comm[16];
};

struct config {
    __u32 proto_mask;   /* bit per protocol; 0: all */
    __u32 netns;        /* 0: all */
    __u32 pid;          /* 0: all */
    __u32 traced_only;  /* only the processes in `traced` (and their descendants) */
    __u32 wake_bytes;   /* wake the reader once this much is waiting (0: every record) */
};

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 1 << 26); } events SEC(".maps");
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(max_entries, 1);
    __type(key, __u32); __type(value, struct event);
} scratch SEC(".maps");
struct {  /* 0: next event id, 1: drops, 2: messages seen */
    __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4);
    __type(key, __u32); __type(value, __u64);
} counters SEC(".maps");
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
    __type(key, __u32); __type(value, struct config);
} config SEC(".maps");
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 65536);
    __type(key, __u64); __type(value, struct owner);
} owners SEC(".maps");
struct {
    __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 65536);
    __type(key, __u32); __type(value, __u8);
} traced SEC(".maps");

static __always_inline void count(__u32 idx)
{
    __u64 *v = bpf_map_lookup_elem(&counters, &idx);
    if (v)
        __sync_fetch_and_add(v, 1);
}

static __always_inline int wanted(struct config *c, __u16 proto, __u32 netns, __u32 pid)
{
    if (c->proto_mask && (proto >= 32 || !((c->proto_mask >> proto) & 1)))
        return 0;
    if (c->netns && netns != c->netns)
        return 0;
    if (c->pid && pid != c->pid)
        return 0;
    if (c->traced_only && !bpf_map_lookup_elem(&traced, &pid))
        return 0;
    return 1;
}

static __always_inline void emit(struct sock *sk, struct sk_buff *skb, __u8 dir)
{
    __u32 portid = BPF_CORE_READ((struct netlink_sock *)sk, portid);
    if (portid == 0)
        return;     /* a kernel socket: kernel to kernel, or seen when delivered */
    __u32 zero = 0;
    struct config *c = bpf_map_lookup_elem(&config, &zero);
    struct event *e = bpf_map_lookup_elem(&scratch, &zero);
    if (!c || !e)
        return;
    __u16 proto = BPF_CORE_READ(sk, sk_protocol);
    __u32 netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
    __u32 pid = 0;
    struct owner *o = 0;
    if (dir == 2) {
        pid = bpf_get_current_pid_tgid() >> 32;
    } else {
        __u64 key = (__u64)sk;
        o = bpf_map_lookup_elem(&owners, &key);
        if (o)
            pid = o->tgid;
    }
    if (!wanted(c, proto, netns, pid))
        return;
    __u64 *next = bpf_map_lookup_elem(&counters, &zero);
    if (!next)
        return;
    __u32 len = BPF_CORE_READ(skb, len);
    unsigned char *data = BPF_CORE_READ(skb, data);
    e->id = __sync_fetch_and_add(next, 1);
    e->ts = bpf_ktime_get_ns();
    e->len = len;
    e->pid = pid;
    e->netns = netns;
    e->portid = portid;
    e->proto = proto;
    e->dir = dir;
    e->pad = 0;
    if (o)
        __builtin_memcpy(e->comm, o->comm, sizeof(e->comm));
    else if (dir == 2)
        bpf_get_current_comm(e->comm, sizeof(e->comm));
    else
        __builtin_memset(e->comm, 0, sizeof(e->comm));
    count(2);
    for (int i = 0; i < MAX_CHUNKS; i++) {
        __u32 off = i * CHUNK;
        if (i > 0 && off >= len)
            break;
        __u32 n = off < len ? len - off : 0;
        if (n > CHUNK)
            n = CHUNK;
        /* The verifier wants the size bounded in the very register passed: hide the
         * clamp from clang so that it keeps the mask (else it passes an older copy). */
        asm volatile("" : "+r"(n));
        n &= 2 * CHUNK - 1;
        e->off = off;
        if (n && bpf_probe_read_kernel(e->data, n, data + off) < 0)
            n = 0;
        __u64 wake = BPF_RB_NO_WAKEUP;
        if (!c->wake_bytes || bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= c->wake_bytes)
            wake = BPF_RB_FORCE_WAKEUP;
        if (bpf_ringbuf_output(&events, e, HDR_SIZE + n, wake) < 0) {
            count(1);
            return;
        }
    }
}

SEC("kprobe/netlink_unicast")
int BPF_KPROBE(tap_unicast, struct sock *ssk, struct sk_buff *skb)
{
    emit(ssk, skb, 2);
    return 0;
}

SEC("kprobe/netlink_broadcast")
int BPF_KPROBE(tap_broadcast, struct sock *ssk, struct sk_buff *skb)
{
    emit(ssk, skb, 2);
    return 0;
}

SEC("kprobe/__netlink_sendskb")
int BPF_KPROBE(tap_deliver, struct sock *sk, struct sk_buff *skb)
{
    emit(sk, skb, 1);
    return 0;
}

static __always_inline void own(struct socket *sock)
{
    struct owner o = {};
    __u64 key = (__u64)BPF_CORE_READ(sock, sk);
    o.tgid = bpf_get_current_pid_tgid() >> 32;
    bpf_get_current_comm(o.comm, sizeof(o.comm));
    /* every send and receive calls here: write the map only when the owner changed
     * (an LRU hash update takes its locks; a lookup does not) */
    struct owner *cur = bpf_map_lookup_elem(&owners, &key);
    if (cur && cur->tgid == o.tgid) {   /* comm is 4-byte aligned: compare by u32 */
        __u32 *a = (__u32 *)cur->comm, *b = (__u32 *)o.comm;
        if (a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3])
            return;
    }
    bpf_map_update_elem(&owners, &key, &o, BPF_ANY);
}

SEC("kprobe/netlink_sendmsg")
int BPF_KPROBE(own_send, struct socket *sock)
{
    own(sock);
    return 0;
}

SEC("kprobe/netlink_recvmsg")
int BPF_KPROBE(own_recv, struct socket *sock)
{
    own(sock);
    return 0;
}

SEC("kprobe/netlink_release")
int BPF_KPROBE(disown, struct socket *sock)
{
    __u64 key = (__u64)BPF_CORE_READ(sock, sk);
    bpf_map_delete_elem(&owners, &key);
    return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(follow_fork, struct task_struct *parent, struct task_struct *child)
{
    __u32 ptgid = BPF_CORE_READ(parent, tgid);
    if (bpf_map_lookup_elem(&traced, &ptgid)) {
        __u32 pid = BPF_CORE_READ(child, pid);
        __u8 one = 1;
        bpf_map_update_elem(&traced, &pid, &one, BPF_ANY);
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
