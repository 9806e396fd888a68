"""nlscope: a netlink traffic inspector.

    import nlscope
    for msg in nlscope.open("capture.pcapng", filter="errno"):
        print(msg.number, msg.type_name, msg.summary, msg.transaction.status)
        record = msg.to_json()

`open(path_or_binary_stream, filter=None, registry=None, final=True)` yields lazy
messages (nlscope.decode.model.Message): header fields at once; `.tree`, `.summary`
and `.problems` decoded when first read; `.transaction` (final for a file; as known
so far with final=False, for live streams); `.to_json()` as the JSONL export.
"""
__version__ = "0.1.0"


def open(source, *, filter=None, registry=None, final=True, on_warning=None):  # noqa: A001
    from .pipeline import open_messages
    return open_messages(source, filter=filter, registry=registry, final=final,
                         on_warning=on_warning)
