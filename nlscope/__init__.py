"""nlscope: a netlink traffic inspector."""
__version__ = "0.1.0"
