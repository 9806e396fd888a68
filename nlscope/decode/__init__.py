"""Decoding: the message model, nlmsghdr and control messages, the NLA engine, the
dissector registry, YNL specs. Imports no family: families register themselves."""
