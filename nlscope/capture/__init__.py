"""Sources: the capture file reader and writers, the index, live nlmon capture, trace."""
