#!/bin/bash
# NETLINK_XFRM via ip xfrm: ESP states (tunnel and transport, AEAD), policies
# with templates, dumps, counts, get, delete, flush, error cases.
. "$(dirname "$0")/common.sh"

run ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel \
    enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f \
    auth-trunc 'hmac(sha256)' 0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f 128
run ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x1001 reqid 1 mode tunnel \
    enc 'cbc(aes)' 0x0f0e0d0c0b0a09080706050403020100 \
    auth-trunc 'hmac(sha256)' 0x2f2e2d2c2b2a292827262524232221201f1e1d1c1b1a19181716151413121110 128
run ip xfrm state add src 2001:db8:1::1 dst 2001:db8:1::2 proto esp spi 0x2000 reqid 2 mode transport \
    aead 'rfc4106(gcm(aes))' 0x000102030405060708090a0b0c0d0e0f10111213 128
run ip xfrm policy add src 198.51.100.0/24 dst 203.0.113.0/24 dir out \
    tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
run ip xfrm policy add src 203.0.113.0/24 dst 198.51.100.0/24 dir in \
    tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 1 mode tunnel
run ip xfrm policy add src 2001:db8:1::1 dst 2001:db8:1::2 proto tcp dport 443 dir out priority 100 \
    tmpl proto esp reqid 2 mode transport
run ip xfrm state show
run ip -s xfrm state show
run ip xfrm policy show
run ip xfrm state count
run ip xfrm policy count
run ip xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000
run ip xfrm policy get src 198.51.100.0/24 dst 203.0.113.0/24 dir out
run ip xfrm state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel \
    enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f \
    auth-trunc 'hmac(sha256)' 0x101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f 128 \
    limit packet-hard 1000000

note "error cases"
run ip xfrm state get src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x9999
run ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel \
    enc 'cbc(aes)' 0x000102030405060708090a0b0c0d0e0f
run ip xfrm policy delete src 192.0.2.0/24 dst 192.0.2.0/24 dir fwd

note "teardown"
run ip xfrm state delete src 2001:db8:1::1 dst 2001:db8:1::2 proto esp spi 0x2000
run ip xfrm policy flush
run ip xfrm state flush
run ip xfrm state show
exit 0
