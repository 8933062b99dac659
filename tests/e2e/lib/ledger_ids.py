"""Reads a ledger's shard and trace IDs (docs/ledger.md), for the e2e scripts' shard checks."""
import struct


def ledger_ids(path):
    """Returns ((shard index, shard count), {trace index: trace ID hex}) of the ledger at path."""
    data = open(path, "rb").read()
    assert data[:8] == b"AGSTLDGR", path
    size = struct.unpack_from("<I", data, 12)[0]
    shard = struct.unpack_from("<II", data, 32)
    out = {}
    for at in range(size, len(data) - 63, 64):
        index = struct.unpack_from("<Q", data, at)[0]
        if index == 2**64 - 1:
            break
        out[index] = data[at + 8:at + 24].hex()
    return shard, out
