"""VM lab tests: real netlink traffic from a Debian kernel booted with virtme-ng."""
